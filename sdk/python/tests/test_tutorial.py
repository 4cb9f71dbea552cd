"""The seeds' funcX tutorial (funcx-tutorial.rst) and the overview's example, run as written.

Only two things differ from the text: the endpoint id comes from the test's
live endpoint instead of the public tutorial endpoint, and between notebook
cells that read a result of the cell before, the test waits for the task
(`wait_done`, a long-poll) as a person running the notebook would.
Printed output is captured and checked.
"""
import contextlib
import datetime
import io
import os
import traceback
import unittest

from tests.support import endpoint_id, wait_done


class TutorialTest(unittest.TestCase):
    def test_the_whole_tutorial(self):
        # -- funcX Python SDK ------------------------------------------------------------------
        from funcx_ts import FuncXClient

        fxc = FuncXClient()
        self.assertIsInstance(fxc, FuncXClient)

        # -- Registering a Function ------------------------------------------------------------
        def hello_world():
            return "Hello World!"

        func_uuid = fxc.register_function(hello_world)
        print(func_uuid)
        first_hello = func_uuid

        # -- Running a Function ----------------------------------------------------------------
        tutorial_endpoint = endpoint_id()  # was: the public tutorial endpoint's id
        res = fxc.run(endpoint_id=tutorial_endpoint, function_id=func_uuid)
        print(res)

        # -- Retrieving Results ----------------------------------------------------------------
        wait_done(fxc, res)
        self.assertEqual(fxc.get_result(res), "Hello World!")

        # -- Functions with Arguments ----------------------------------------------------------
        def funcx_sum(items):
            return sum(items)

        sum_function = fxc.register_function(funcx_sum)

        items = [1, 2, 3, 4, 5]

        res = fxc.run(items, endpoint_id=tutorial_endpoint, function_id=sum_function)

        wait_done(fxc, res)
        with captured() as printed:
            print (fxc.get_result(res))  # noqa: E211
        self.assertEqual(printed(), "15\n")

        # -- Functions with Dependencies -------------------------------------------------------
        def funcx_date():
            from datetime import date
            return date.today()

        date_function = fxc.register_function(funcx_date)

        res = fxc.run(endpoint_id=tutorial_endpoint, function_id=date_function)

        wait_done(fxc, res)
        with captured() as printed:
            print (fxc.get_result(res))  # noqa: E211
        # pickle round-trips the object: a datetime.date, printed as one
        self.assertIs(type(fxc.get_result(res)), datetime.date)
        self.assertRegex(printed(), r"^\d{4}-\d{2}-\d{2}\n$")

        # -- Calling External Applications -----------------------------------------------------
        def funcx_echo(name):
            import os
            return os.popen("echo Hello %s" % name).read()

        echo_function = fxc.register_function(funcx_echo)

        res = fxc.run("World", endpoint_id=tutorial_endpoint, function_id=echo_function)

        wait_done(fxc, res)
        with captured() as printed:
            print (fxc.get_result(res))  # noqa: E211
        self.assertEqual(printed(), "Hello World\n\n")

        # -- Catching Exceptions ---------------------------------------------------------------
        def failing():
            raise Exception("deterministic failure")

        failing_function = fxc.register_function(failing)

        res = fxc.run(endpoint_id=tutorial_endpoint, function_id=failing_function)

        wait_done(fxc, res)
        with self.assertRaises(Exception) as caught:
            fxc.get_result(res)
        error = caught.exception
        self.assertIs(type(error), Exception)
        self.assertEqual(str(error), "deterministic failure")
        self.assertIn('raise Exception("deterministic failure")', error.remote_traceback)
        printed_traceback = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.assertIn("Remote traceback (from the endpoint)", printed_traceback)
        self.assertIn("in failing", printed_traceback)

        # -- Running Functions Many Times ------------------------------------------------------
        with captured() as printed:
            import time

            # function that estimates pi by placing points in a box
            def pi(num_points):
                from random import random
                inside = 0
                for i in range(num_points):
                    x, y = random(), random()  # Drop a random point in the box.
                    if x**2 + y**2 < 1:        # Count points within the circle.
                        inside += 1
                return (inside*4 / num_points)

            # register the function
            pi_function = fxc.register_function(pi)

            # execute the function 3 times
            estimates = []
            for i in range(3):
                estimates.append(fxc.run(10**5, endpoint_id=tutorial_endpoint, function_id=pi_function))

            # wait for tasks to complete
            time.sleep(5)

            # wait for all tasks to complete
            for e in estimates:
                while fxc.get_task(e)['pending'] == 'True':
                    time.sleep(3)

            # get the results and calculate the total
            results = [fxc.get_result(i) for i in estimates]
            total = 0
            for r in results:
                total += r

            # print the results
            print("Estimates: %s" % results)
            print("Average: {:.5f}".format(total/len(results)))
        self.assertEqual(len(set(estimates)), 3)
        for estimate in results:
            self.assertTrue(3.0 < estimate < 3.3, estimate)
        self.assertRegex(printed(), r"^Estimates: \[[0-9., ]+\]\nAverage: 3\.\d{5}\n$")

        # -- Describing and Discovering Functions ----------------------------------------------
        def hello_world():  # noqa: F811 - the tutorial registers it again, described
            return "Hello World!"

        func_uuid = fxc.register_function(hello_world, description="hello world function", public=True, searchable=True)
        print(func_uuid)

        with captured() as printed:
            search_results = fxc.search_function("hello", offset=0, limit=5)
            print(search_results)
        self.assertEqual(search_results[0]["function_uuid"], func_uuid)  # newest first
        self.assertEqual(search_results[0]["description"], "hello world function")
        self.assertIn(first_hello, [f["function_uuid"] for f in search_results])
        self.assertGreaterEqual(search_results.total, 2)
        table = printed()
        self.assertIn("| name", table)
        self.assertIn("hello world function", table)
        self.assertIn(func_uuid, table)

        # -- Managing Endpoints ----------------------------------------------------------------
        with captured() as printed:
            endpoint_status = fxc.get_endpoint_status(tutorial_endpoint)

            print("Status: %s" % endpoint_status['status'])
            print("Workers: %s" % endpoint_status['logs'][0]['total_workers'])
            print("Tasks: %s" % endpoint_status['logs'][0]['outstanding_tasks'])
        self.assertRegex(printed(), r"^Status: online\nWorkers: [1-9]\d*\nTasks: \d+\n$")
        if os.environ.get("FUNCX_TEST_ENDPOINT_WORKERS"):  # the ava test's endpoint says how many it runs
            self.assertIn("Workers: %s\n" % os.environ["FUNCX_TEST_ENDPOINT_WORKERS"], printed())

        # -- Running Batches -------------------------------------------------------------------
        def squared(x):
            return x**2

        squared_function = fxc.register_function(squared)

        inputs = list(range(10))
        batch = fxc.create_batch()

        for x in inputs:
            batch.add(x, endpoint_id=tutorial_endpoint, function_id=squared_function)

        batch_res = fxc.batch_run(batch)

        wait_done(fxc, *batch_res)
        batch_result = fxc.get_batch_result(batch_res)
        self.assertEqual(list(batch_result), batch_res)
        self.assertEqual([batch_result[t]["result"] for t in batch_res], [x**2 for x in inputs])
        self.assertTrue(all(r["status"] == "success" and r["pending"] is False for r in batch_result.values()))

    def test_the_overviews_executor_example(self):
        # funcx-overview.rst, "Using funcX", as written apart from the endpoint id.
        with captured() as printed:
            from funcx_ts import FuncXExecutor

            def hello_world():
                return "Hello World!"

            tutorial_endpoint_id = endpoint_id()
            with FuncXExecutor(endpoint_id=tutorial_endpoint_id) as fxe:
                future = fxe.submit(hello_world)
                print(future.result())
        self.assertEqual(printed(), "Hello World!\n")


@contextlib.contextmanager
def captured():
    """What the block printed, read with the function it yields."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer.getvalue


if __name__ == "__main__":
    unittest.main()
