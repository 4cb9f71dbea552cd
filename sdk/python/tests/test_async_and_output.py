"""asyncio and live output: awaitable executor futures, AsyncFuncXClient in a real event loop,
and following a running task's output (follow_output, sync and async)."""
import asyncio
import os
import unittest

import funcx_ts
from funcx_ts import AsyncFuncXClient, FuncXClient, FuncXExecutor
from tests.support import Gate, client, endpoint_id, live_settings, other_token, wait_done


def async_double(x):
    return 2 * x


def chatty_until_gate(path, lines):
    """Prints `lines` lines, then waits for the gate (bounded); returns whether it opened."""
    import os
    import time
    for i in range(lines):
        print("line", i)
    deadline = time.time() + 60
    while not os.path.exists(path):
        if time.time() > deadline:
            return False
        time.sleep(0.02)
    print("done")
    return True


def print_and_run_subprocess():
    """Streams its prints; a subprocess handed sys.stdout still gets a real descriptor."""
    import subprocess
    import sys
    print("from python")
    sys.stdout.buffer.write(b"as bytes\n")
    return subprocess.run(["true"], stdout=sys.stdout, stderr=sys.stderr).returncode


class AwaitableFuturesTest(unittest.IsolatedAsyncioTestCase):
    async def test_executor_futures_are_awaited_and_gathered_in_an_event_loop(self):
        executor = FuncXExecutor(endpoint_id=endpoint_id(), client=client())
        self.addCleanup(executor.shutdown, cancel_futures=True)
        self.assertEqual(await executor.submit(async_double, 21), 42)
        results = await asyncio.gather(*[executor.submit(async_double, x) for x in range(5)])
        self.assertEqual(results, [0, 2, 4, 6, 8])


class AsyncClientTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.fxc = AsyncFuncXClient(client=client())
        self.gate = Gate()
        self.addCleanup(self.gate.close)

    async def test_waiting_for_a_result_leaves_the_event_loop_free(self):
        function_id = await self.fxc.register_function(chatty_until_gate)
        task_id = await self.fxc.run(self.gate.path, 0, endpoint_id=endpoint_id(), function_id=function_id)

        async def open_gate_from_the_loop():
            # Runs only if the loop is free while result() waits; else the task times out and returns False.
            for _ in range(3):
                await asyncio.sleep(0.05)
            self.gate.open()

        opened, _ = await asyncio.gather(self.fxc.result(task_id, timeout_s=120), open_gate_from_the_loop())
        self.assertIs(opened, True)
        self.assertEqual((await self.fxc.get_task(task_id))["status"], "success")

    async def test_follow_output_yields_lines_while_the_task_runs(self):
        function_id = await self.fxc.register_function(chatty_until_gate)
        task_id = await self.fxc.run(self.gate.path, 3, endpoint_id=endpoint_id(), function_id=function_id)
        seen = ""
        async for text in self.fxc.follow_output(task_id, wait_s=5):
            seen += text
            if "line 2\n" in seen and not os.path.exists(self.gate.path):
                # The task cannot end before the gate opens: these lines came while it ran.
                self.assertTrue((await self.fxc.get_task(task_id))["pending"])
                self.gate.open()
        self.assertEqual(seen, "line 0\nline 1\nline 2\ndone\n")
        self.assertIs(await self.fxc.result(task_id), True)

    async def test_create_batch_needs_no_await(self):
        self.assertIsInstance(self.fxc.create_batch(), funcx_ts.Batch)


class FollowOutputTest(unittest.TestCase):
    def test_follow_output_generator_and_a_read_from_an_offset(self):
        fxc = client()
        gate = Gate()
        self.addCleanup(gate.close)
        function_id = fxc.register_function(chatty_until_gate)
        task_id = fxc.run(gate.path, 2, endpoint_id=endpoint_id(), function_id=function_id)
        seen = ""
        for text in fxc.follow_output(task_id, wait_s=5):
            seen += text
            if "line 1\n" in seen and not os.path.exists(gate.path):
                self.assertTrue(fxc.get_task(task_id)["pending"])
                gate.open()
        self.assertEqual(seen, "line 0\nline 1\ndone\n")
        wait_done(fxc, task_id)
        tail = fxc.get_task_output(task_id, offset=len("line 0\n"))
        self.assertEqual(tail["text"], "line 1\ndone\n")
        self.assertEqual((tail["offset"], tail["next_offset"], tail["dropped"], tail["complete"]), (7, 19, 0, True))

    def test_streamed_stdout_still_has_a_descriptor_and_a_bytes_buffer(self):
        fxc = client()
        function_id = fxc.register_function(print_and_run_subprocess)
        task_id = fxc.run(endpoint_id=endpoint_id(), function_id=function_id)
        wait_done(fxc, task_id)
        self.assertEqual(fxc.get_result(task_id), 0)
        self.assertEqual(fxc.get_task_output(task_id)["text"], "from python\nas bytes\n")

    def test_following_a_task_that_is_not_yours_is_task_not_found(self):
        fxc = client()
        function_id = fxc.register_function(async_double)
        task_id = fxc.run(1, endpoint_id=endpoint_id(), function_id=function_id)
        stranger = FuncXClient(service_url=live_settings()["FUNCX_SERVICE_URL"], token=other_token())
        with self.assertRaises(funcx_ts.TaskNotFound) as raised:
            list(stranger.follow_output(task_id, wait_s=1))
        self.assertEqual(raised.exception.http_status, 404)
        self.assertEqual(raised.exception.code, "TaskNotFound")


if __name__ == "__main__":
    unittest.main()
