"""FuncXExecutor: concurrent.futures futures for tasks on a live endpoint."""
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest
import uuid

from funcx_ts import FuncXClient, FuncXExecutor, RemoteException
from tests.support import Gate, client, endpoint_id, live_settings, wait_done, wait_for_gate
from tests.tcp_proxy import TcpProxy


def executor_square(x):
    return x * x


def executor_fail(message):
    raise ValueError(message)


def executor_kwargs(a, b=0, *, c=None):
    return {"a": a, "b": b, "c": c}


class FuncXExecutorTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()
        self.executor = FuncXExecutor(endpoint_id=endpoint_id(), client=self.fxc)
        self.addCleanup(self.executor.shutdown, cancel_futures=True)

    def test_submit_returns_a_future_with_the_result_and_its_task_id(self):
        future = self.executor.submit(executor_square, 7)
        self.assertIsInstance(future, concurrent.futures.Future)
        self.assertEqual(future.result(timeout=120), 49)
        self.assertRegex(future.task_id, r"^[0-9a-f-]{36}$")
        self.assertEqual(self.fxc.get_result(future.task_id), 49)

    def test_keyword_arguments_reach_the_function(self):
        future = self.executor.submit(executor_kwargs, 1, b=2, c=[3])
        self.assertEqual(future.result(timeout=120), {"a": 1, "b": 2, "c": [3]})

    def test_a_function_is_registered_once_and_submissions_are_batched(self):
        # Holding the executor's lock keeps its submitter thread from taking calls,
        # so all 40 are queued before the first submit: they must go in one request.
        with self.executor._lock:
            futures = [self.executor.submit(executor_square, x) for x in range(40)]
        self.assertEqual([f.result(timeout=120) for f in futures], [x * x for x in range(40)])
        records = self.fxc.transport.request("POST", "/v2/batch_status", {"task_ids": [f.task_id for f in futures]})
        self.assertEqual(len({r["task_group_id"] for r in records["results"].values()}), 1)
        self.assertEqual(len({r["function_id"] for r in records["results"].values()}), 1)
        self.assertEqual(self.executor.register_function(executor_square), futures[0].task_id and
                         records["results"][futures[0].task_id]["function_id"])

    def test_one_waiting_thread_serves_every_future(self):
        gate = Gate()
        self.addCleanup(gate.close)
        before = threading.active_count()
        # One task held on a gate (the test endpoint has 2 workers; the other runs the rest).
        futures = [self.executor.submit(wait_for_gate, gate.path)]
        futures += [self.executor.submit(executor_square, x) for x in range(20)]
        # The quick ones finish while the gated one still waits: no thread per future meanwhile.
        self.assertEqual([f.result(timeout=120) for f in futures[1:]], [x * x for x in range(20)])
        self.assertEqual(threading.active_count(), before)
        self.assertEqual(sorted(t.name for t in threading.enumerate() if t.name.startswith("funcx-executor")),
                         ["funcx-executor-submit", "funcx-executor-wait"])
        self.assertFalse(futures[0].done())
        gate.open()
        self.assertEqual(futures[0].result(timeout=120), "opened")

    def test_a_remote_exception_is_the_futures_exception(self):
        future = self.executor.submit(executor_fail, "bad input")
        error = future.exception(timeout=120)
        self.assertIs(type(error), ValueError)
        self.assertEqual(str(error), "bad input")
        self.assertIn("raise ValueError(message)", error.remote_traceback)
        with self.assertRaises(ValueError):
            future.result()

    def test_map(self):
        self.assertEqual(list(self.executor.map(executor_square, range(6), timeout=120)), [0, 1, 4, 9, 16, 25])

    def test_context_manager_waits_for_every_future(self):
        with FuncXExecutor(endpoint_id=endpoint_id(), client=self.fxc) as executor:
            futures = [executor.submit(executor_square, x) for x in range(5)]
        self.assertTrue(all(f.done() for f in futures))
        self.assertEqual([f.result() for f in futures], [0, 1, 4, 9, 16])
        with self.assertRaises(RuntimeError):
            executor.submit(executor_square, 1)

    def test_shutdown_cancel_futures_cancels_queued_calls_and_running_tasks(self):
        gate = Gate()
        self.addCleanup(gate.close)
        executor = FuncXExecutor(endpoint_id=endpoint_id(), client=self.fxc)
        running = executor.submit(wait_for_gate, gate.path)
        self.wait_until_running(running)
        with executor._lock:  # the submitter cannot take these before shutdown clears the queue
            queued = [executor.submit(executor_square, x) for x in range(3)]
            executor.shutdown(wait=False, cancel_futures=True)
        executor.shutdown(wait=True)
        self.assertTrue(all(f.cancelled() for f in queued))
        self.assertTrue(running.cancelled())
        self.assertEqual(self.fxc.get_task(running.task_id)["status"], "cancelled")

    def test_a_running_future_cancelled_ends_its_task_and_reports_cancelled(self):
        gate = Gate()
        self.addCleanup(gate.close)
        running = self.executor.submit(wait_for_gate, gate.path)
        self.wait_until_running(running)
        self.assertTrue(running.cancel())
        self.assertTrue(running.cancelled())
        with self.assertRaises(concurrent.futures.CancelledError):
            running.result(timeout=0)
        self.assertEqual(self.fxc.get_task(running.task_id)["status"], "cancelled")
        self.assertTrue(running.cancel())  # already cancelled: cancel() says so, as concurrent.futures does
        self.assertEqual(self.executor.submit(executor_square, 5).result(timeout=120), 25)

    def test_a_task_cancelled_elsewhere_makes_its_future_cancelled(self):
        gate = Gate()
        self.addCleanup(gate.close)
        running = self.executor.submit(wait_for_gate, gate.path)
        self.wait_until_running(running)
        self.fxc.cancel_task(running.task_id)  # not through the future: as `funcx task cancel` would
        concurrent.futures.wait([running], timeout=120)
        self.assertTrue(running.cancelled())

    def test_a_future_cancelled_before_it_is_sent_never_runs(self):
        with self.executor._lock:
            future = self.executor.submit(executor_square, 3)
            self.assertTrue(future.cancel())
        after = self.executor.submit(executor_square, 4)
        self.assertEqual(after.result(timeout=120), 16)
        self.assertIsNone(future.task_id)

    def test_a_failed_submit_fails_its_futures_with_the_service_error(self):
        from funcx_ts import EndpointNotFound
        executor = FuncXExecutor(endpoint_id="00000000-0000-4000-8000-000000000000", client=self.fxc)
        self.addCleanup(executor.shutdown)
        future = executor.submit(executor_square, 2)
        error = future.exception(timeout=120)
        self.assertIsInstance(error, EndpointNotFound)
        self.assertEqual(error.code, "EndpointNotFound")

    def wait_until_running(self, future):
        """Until the endpoint leased the task (long-poll on the future, then on the task's state)."""
        while future.task_id is None:
            concurrent.futures.wait([future], timeout=0.05)
        for _ in range(2400):
            if self.fxc.get_task(future.task_id)["status"] == "running":
                return
            threading.Event().wait(0.05)
        self.fail("task %s never started" % future.task_id)


class FuncXExecutorOutageTest(unittest.TestCase):
    def test_an_outage_while_a_task_runs_leaves_its_future_pending_until_the_service_is_back(self):
        settings = live_settings()
        proxy = TcpProxy(settings["FUNCX_SERVICE_URL"])
        self.addCleanup(proxy.close)
        gate = Gate()
        self.addCleanup(gate.close)
        fxc = FuncXClient(service_url=proxy.url, token=settings["FUNCX_TOKEN"], max_retries=1)
        fxc.transport.backoff_s = 0.01
        executor = FuncXExecutor(endpoint_id=endpoint_id(), client=fxc, poll_s=1, outage_backoff_s=(0.05, 0.2))
        self.addCleanup(executor.shutdown)
        future = executor.submit(wait_for_gate, gate.path)
        with executor._lock:
            self.assertTrue(executor._lock.wait_for(lambda: future.task_id is not None, 60))
        future.add_done_callback(proxy.notify)
        with self.assertLogs("funcx_ts.executor", "WARNING") as logged:
            proxy.outage()
            # Several polls failed (each an attempt and its retry), well past where the old waiter gave up;
            # a future that fails meanwhile ends the wait at once.
            self.assertTrue(proxy.wait_until(lambda: proxy.refused >= 8 or future.done()))
            self.assertFalse(future.done(), future.exception() if future.done() else None)
            gate.open()  # the task finishes while the client cannot reach the service
            proxy.resume()
            self.assertEqual(future.result(timeout=120), "opened")
        self.assertTrue(any("stay pending" in line for line in logged.output), logged.output)
        self.assertTrue(any("answers again" in line for line in logged.output), logged.output)


# Submits 5 calls and ends without shutdown(), and 3 more on an executor shut down without waiting.
# The lock is held while they are queued, so none
# can have left before the script's last line: only the exit hook can send them.
EXIT_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, os.environ["SDK_ROOT"])
    from funcx_ts import FuncXClient, FuncXExecutor

    class GroupedClient(FuncXClient):
        # One known task group, so the test can count what reached the service.
        def submit_tasks(self, tasks, task_group_id=None):
            return super().submit_tasks(tasks, task_group_id=os.environ["TASK_GROUP_ID"])

    def exit_square(x):
        return x * x

    executor = FuncXExecutor(endpoint_id=os.environ["FUNCX_TEST_ENDPOINT_ID"], client=GroupedClient())
    executor.register_function(exit_square)
    with executor._lock:
        futures = [executor.submit(exit_square, x) for x in range(5)]

    # Shut down without waiting, its calls still queued: they are sent at exit too.
    other = FuncXExecutor(endpoint_id=os.environ["FUNCX_TEST_ENDPOINT_ID"], client=GroupedClient())
    with other._lock:
        more = [other.submit(exit_square, x) for x in range(5, 8)]
        other.shutdown(wait=False)
""")


class FuncXExecutorExitTest(unittest.TestCase):
    def test_calls_queued_when_the_interpreter_exits_are_still_submitted(self):
        group = str(uuid.uuid4())
        env = dict(os.environ, SDK_ROOT=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), TASK_GROUP_ID=group)
        with tempfile.TemporaryDirectory() as scratch:
            script = os.path.join(scratch, "submit_and_exit.py")  # a file: the function's source must be readable
            with open(script, "w") as out:
                out.write(EXIT_SCRIPT)
            done = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        fxc = client()
        tasks = fxc.transport.request("GET", "/v2/taskgroup/%s" % group)["tasks"]
        self.assertEqual(len(tasks), 8, tasks)
        wait_done(fxc, *[task["id"] for task in tasks])
        results = fxc.get_batch_result([task["id"] for task in tasks])
        self.assertEqual(sorted(entry["result"] for entry in results.values()), [0, 1, 4, 9, 16, 25, 36, 49])


if __name__ == "__main__":
    unittest.main()
