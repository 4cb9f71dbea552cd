"""register_function: what is sent (source, entry point, sharing) and what the endpoint runs."""
import functools
import unittest

from funcx_ts.source import function_source
from tests.support import client, endpoint_id, wait_done


def shout(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return str(fn(*args, **kwargs)).upper()
    return wrapper


@shout
def decorated_greeting(name):
    return "hello %s" % name


class RegistrationTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()

    def test_the_source_is_sent_dedented_without_decorators(self):
        class Holder:
            @staticmethod
            def indented(x):
                return x + 1

        source = function_source(Holder.indented)
        self.assertEqual(source, "def indented(x):\n    return x + 1\n")
        record = self.fxc.get_function(self.fxc.register_function(Holder.indented))
        self.assertEqual((record["runtime"], record["entry_point"], record["source"]), ("python", "indented", source))
        # The wrapper has functools.wraps' name and source of the original, minus the decorator line.
        self.assertEqual(function_source(decorated_greeting), 'def decorated_greeting(name):\n    return "hello %s" % name\n')

    def test_a_decorated_function_runs_undecorated_on_the_endpoint(self):
        task_id = self.fxc.run("ada", endpoint_id=endpoint_id(), function_id=self.fxc.register_function(decorated_greeting))
        wait_done(self.fxc, task_id)
        self.assertEqual(self.fxc.get_result(task_id), "hello ada")

    def test_description_sharing_and_groups_are_recorded(self):
        def shared_fn():
            return 1

        function_id = self.fxc.register_function(shared_fn, description="shared with the lab", public=True,
                                                 searchable=True, group="lab")
        record = self.fxc.get_function(function_id)
        self.assertEqual(record["description"], "shared with the lab")
        self.assertIs(record["public"], True)
        self.assertIs(record["searchable"], True)
        self.assertEqual(record["group_ids"], ["lab"])
        self.assertEqual(record["metadata"]["sdk_version"], __import__("funcx_ts").__version__)
        self.assertEqual(self.fxc.delete_function(function_id)["deleted"], True)

    def test_a_container_image_is_recorded_with_the_function(self):
        def in_a_container():
            return 1

        record = self.fxc.get_function(self.fxc.register_function(in_a_container, container_image="localhost/science:1"))
        self.assertEqual(record["container_image"], "localhost/science:1")
        self.assertNotIn("container_image", self.fxc.get_function(self.fxc.register_function(in_a_container)))

    def test_what_cannot_be_called_by_name_is_refused_before_sending(self):
        async def coroutine():
            return 1

        for fn, message in ((lambda: 1, "lambda"), (coroutine, "async"), (len, "defined with def")):
            with self.assertRaisesRegex(ValueError, message):
                self.fxc.register_function(fn)


if __name__ == "__main__":
    unittest.main()
