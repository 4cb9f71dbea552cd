"""Arguments and results through both serializers, and remote exceptions rebuilt as their classes."""
import base64
import datetime
import decimal
import fractions
import json
import pickle
import unittest

from funcx_ts import RemoteException
from tests.support import client, endpoint_id, wait_done


def echo_args(*args, **kwargs):
    return {"args": list(args), "kwargs": kwargs}


def today():
    from datetime import date
    return date.today()


def raise_builtin(kind):
    raise {"key": KeyError, "value": ValueError, "zero": ZeroDivisionError}[kind]("from the endpoint")


def raise_decimal_error():
    import decimal
    raise decimal.InvalidOperation("importable here too")


def raise_local_class():
    class LocalOnly(Exception):
        pass
    raise LocalOnly("defined only on the endpoint")


def roundtrip(value):
    return value


class SerializerTest(unittest.TestCase):
    def run_and_get(self, fxc, fn, *args, **kwargs):
        task_id = fxc.run(*args, endpoint_id=endpoint_id(), function_id=fxc.register_function(fn), **kwargs)
        wait_done(fxc, task_id)
        return task_id

    def test_pickle_is_the_default_and_round_trips_python_objects(self):
        fxc = client()
        self.assertEqual(fxc.serializer, "pickle")
        value = {"when": datetime.date(2020, 2, 29), "ratio": fractions.Fraction(1, 3), "tags": {"a", "b"},
                 "raw": b"\x00\xff", "money": decimal.Decimal("1.10"), "pair": (1, 2)}
        task_id = self.run_and_get(fxc, roundtrip, value)
        result = fxc.get_result(task_id)
        self.assertEqual(result, value)
        self.assertIs(type(result["pair"]), tuple)
        self.assertIs(type(fxc.get_result(self.run_and_get(fxc, today))), datetime.date)
        record = fxc.get_task(task_id)
        self.assertEqual(record["result_serializer"], "pickle")
        self.assertEqual(pickle.loads(base64.b64decode(record["result"])), value)

    def test_args_and_kwargs_arrive_as_given(self):
        for serializer in ("pickle", "json"):
            fxc = client(serializer=serializer)
            task_id = self.run_and_get(fxc, echo_args, 1, "two", [3], four=4, five={"six": 6})
            self.assertEqual(fxc.get_result(task_id), {"args": [1, "two", [3]], "kwargs": {"four": 4, "five": {"six": 6}}})

    def test_json_on_request_is_plain_json_on_the_wire(self):
        fxc = client(serializer="json")
        task_id = self.run_and_get(fxc, echo_args, 2, 3)
        record = fxc.get_task(task_id)
        self.assertEqual(record["result_serializer"], "json")
        self.assertEqual(json.loads(record["result"]), {"args": [2, 3], "kwargs": {}})

    def test_json_refuses_what_it_cannot_carry(self):
        fxc = client(serializer="json")
        function_id = fxc.register_function(roundtrip)
        with self.assertRaisesRegex(TypeError, "not JSON-serializable.*serializer='pickle'"):
            fxc.run({1, 2}, endpoint_id=endpoint_id(), function_id=function_id)
        # A result JSON cannot carry fails the task with the worker's clear error.
        task_id = self.run_and_get(fxc, today)
        with self.assertRaises(RemoteException) as caught:
            fxc.get_result(task_id)
        self.assertEqual(caught.exception.remote_type, "TaskResultNotSerializable")
        self.assertIn("datetime.date", caught.exception.message)

    def test_unknown_serializer_is_refused(self):
        with self.assertRaisesRegex(ValueError, "serializer must be one of pickle, json"):
            client(serializer="yaml")

    def test_builtin_exceptions_come_back_as_their_class(self):
        for serializer in ("pickle", "json"):  # pickle sends the object, json only its type name
            fxc = client(serializer=serializer)
            for kind, cls in (("key", KeyError), ("value", ValueError), ("zero", ZeroDivisionError)):
                task_id = self.run_and_get(fxc, raise_builtin, kind)
                with self.assertRaises(cls) as caught:
                    fxc.get_result(task_id)
                self.assertIs(type(caught.exception), cls, serializer)
                self.assertIn("from the endpoint", str(caught.exception))
                self.assertIn("in raise_builtin", caught.exception.remote_traceback)
                self.assertEqual(caught.exception.task_id, task_id)

    def test_an_importable_exception_class_is_rebuilt_by_name(self):
        fxc = client(serializer="json")
        with self.assertRaises(decimal.InvalidOperation) as caught:
            fxc.get_result(self.run_and_get(fxc, raise_decimal_error))
        self.assertIn("importable here too", str(caught.exception))

    def test_a_class_only_the_endpoint_knows_is_a_remote_exception(self):
        for serializer in ("pickle", "json"):
            fxc = client(serializer=serializer)
            with self.assertRaises(RemoteException) as caught:
                fxc.get_result(self.run_and_get(fxc, raise_local_class))
            error = caught.exception
            self.assertRegex(error.remote_type, r"LocalOnly$")
            self.assertEqual(error.message, "defined only on the endpoint")
            self.assertIn('raise LocalOnly("defined only on the endpoint")', error.remote_traceback)
            self.assertIn("Remote traceback", str(error.__cause__))


if __name__ == "__main__":
    unittest.main()
