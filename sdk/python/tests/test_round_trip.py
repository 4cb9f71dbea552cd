"""A round trip's cost in requests and TCP connections, counted at a real proxy in front of the service.

A WAN away, each request is a network round trip and each new connection one
more (TLS: two): run → wait_for_tasks → get_result is two requests on one
kept-alive connection, and call() is one.
"""
import os
import threading
import unittest

from funcx_ts import FuncXClient, FuncXExecutor
from funcx_ts.errors import ServiceUnreachable, TaskPending
from tests.support import endpoint_id, live_settings
from tests.tcp_proxy import TcpProxy


def double(x):
    return 2 * x


def refuse(x):
    raise ValueError("refused %s" % x)


def nap(seconds):
    import time
    time.sleep(seconds)
    return seconds


class RoundTripCountTest(unittest.TestCase):
    def setUp(self):
        settings = live_settings()
        self.proxy = TcpProxy(settings["FUNCX_SERVICE_URL"])
        self.addCleanup(self.proxy.close)
        self.fxc = FuncXClient(service_url=self.proxy.url, token=settings["FUNCX_TOKEN"])
        self.addCleanup(self.fxc.transport.connections.close)
        self.function_id = self.fxc.register_function(double)

    def round_trip(self, x):
        task_id = self.fxc.run(x, endpoint_id=endpoint_id(), function_id=self.function_id)
        pending = [task_id]
        while pending:
            pending = self.fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
        return self.fxc.get_result(task_id)

    def test_a_warm_round_trip_is_two_requests_on_the_one_connection(self):
        self.assertEqual(self.round_trip(1), 2)  # warm: the endpoint's worker up
        connections, requests = self.proxy.connections, self.proxy.requests
        for x in range(5):
            self.assertEqual(self.round_trip(x), 2 * x)
        self.assertEqual(self.proxy.connections - connections, 0, "a warm round trip opens no connection")
        self.assertEqual(self.proxy.requests - requests, 10, "run + wait, no third request for the result")
        self.assertEqual(self.proxy.connections, 1, "registering and every round trip shared one connection")

    def test_a_warm_call_is_one_request(self):
        self.assertEqual(self.fxc.call(1, endpoint_id=endpoint_id(), function_id=self.function_id), 2)  # warm
        connections, requests = self.proxy.connections, self.proxy.requests
        for x in range(5):
            self.assertEqual(self.fxc.call(x, endpoint_id=endpoint_id(), function_id=self.function_id), 2 * x)
        self.assertEqual(self.proxy.requests - requests, 5, "the submit answers with the result")
        self.assertEqual(self.proxy.connections - connections, 0)

    def test_call_raises_the_task_s_exception(self):
        refuse_id = self.fxc.register_function(refuse)
        with self.assertRaises(ValueError) as raised:
            self.fxc.call(7, endpoint_id=endpoint_id(), function_id=refuse_id)
        self.assertIn("refused 7", str(raised.exception))

    def test_a_call_past_its_timeout_raises_task_pending_and_the_result_is_collected_later(self):
        nap_id = self.fxc.register_function(nap)
        with self.assertRaises(TaskPending) as raised:
            self.fxc.call(3, endpoint_id=endpoint_id(), function_id=nap_id, timeout_s=1)
        task_id = raised.exception.task_id
        pending = [task_id]
        while pending:
            pending = self.fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
        self.assertEqual(self.fxc.get_result(task_id), 3)

    def test_a_call_longer_than_one_request_s_wait_waits_on(self):
        nap_id = self.fxc.register_function(nap)
        # The submit holds at most CALL_WAIT_S; made short here, the call goes on with wait_for_tasks.
        import funcx_ts.client as client_module
        saved, client_module.CALL_WAIT_S = client_module.CALL_WAIT_S, 1
        self.addCleanup(setattr, client_module, "CALL_WAIT_S", saved)
        requests = self.proxy.requests
        self.assertEqual(self.fxc.call(2.5, endpoint_id=endpoint_id(), function_id=nap_id), 2.5)
        self.assertGreater(self.proxy.requests - requests, 1, "the submit's wait ran out; waits followed")

    def test_get_task_after_a_wait_is_answered_from_that_wait(self):
        task_id = self.fxc.run(21, endpoint_id=endpoint_id(), function_id=self.function_id)
        pending = [task_id]
        while pending:
            pending = self.fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
        requests = self.proxy.requests
        record = self.fxc.get_task(task_id.upper())
        self.assertEqual((record["status"], record["pending"]), ("success", False))
        self.assertEqual(self.fxc.get_result(task_id), 42)
        self.assertEqual(self.proxy.requests, requests)
        # A task no wait of this client saw is asked of the service.
        other = self.fxc.run(1, endpoint_id=endpoint_id(), function_id=self.function_id)
        requests = self.proxy.requests
        self.fxc.get_task(other)
        self.assertEqual(self.proxy.requests, requests + 1)

    def test_a_connection_the_service_closed_while_idle_is_replaced_before_a_send_once_request(self):
        self.assertEqual(self.proxy.connections, 1)
        self.proxy.close_idle()
        # register_function is sent once (never retried): it must not be written into the closed socket.
        self.fxc.register_function(double, function_name="again")
        self.assertEqual(self.proxy.connections, 2)

    def test_a_kept_alive_connection_lost_as_a_request_goes_out_is_retried_once_only_when_safe(self):
        fxc = FuncXClient(service_url=self.proxy.url, token=live_settings()["FUNCX_TOKEN"], max_retries=0)
        self.addCleanup(fxc.transport.connections.close)
        fxc.version()
        self.proxy.reset_next_request()
        # A read: sent again at once on a new connection, though this client retries nothing else.
        self.assertIn("api", fxc.version())
        self.proxy.reset_next_request()
        requests = self.proxy.requests
        # A registration is sent once: the lost connection is the caller's to judge.
        with self.assertRaises(ServiceUnreachable):
            fxc.register_function(double, function_name="lost")
        self.assertEqual(self.proxy.requests, requests)

    def test_a_forked_child_opens_its_own_connection(self):
        self.fxc.version()
        child = os.fork()
        if child == 0:
            try:
                self.fxc.version()
                os._exit(0)
            except BaseException:  # noqa: BLE001 - the exit code tells the parent
                os._exit(1)
        _, status = os.waitpid(child, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(self.proxy.connections, 2, "the child did not write into its parent's socket")
        self.fxc.version()  # the parent's connection is still its own
        self.assertEqual(self.proxy.connections, 2)

    def test_each_thread_keeps_its_own_connection(self):
        errors = []

        def version():
            try:
                for _ in range(3):
                    self.fxc.version()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=version) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(errors, [])
        # The test's own thread registered the function on the first; three threads opened one each.
        self.assertEqual(self.proxy.connections, 4)
        self.assertEqual(self.fxc.transport.connections.opened, 4)

    def test_the_executor_round_trip_is_two_requests(self):
        # A long poll_s: the waiter's one wait answers when the task finishes, not at a timeout.
        with FuncXExecutor(client=self.fxc, endpoint_id=endpoint_id(), poll_s=30) as executor:
            self.assertEqual(executor.submit(double, 1).result(timeout=120), 2)
            requests = self.proxy.requests
            self.assertEqual(executor.submit(double, 3).result(timeout=120), 6)
            self.assertEqual(self.proxy.requests - requests, 2, "the submit, and the wait that brings the result")


class UnreachableTest(unittest.TestCase):
    def test_a_lost_connection_after_the_proxy_stops_is_a_typed_error(self):
        settings = live_settings()
        proxy = TcpProxy(settings["FUNCX_SERVICE_URL"])
        fxc = FuncXClient(service_url=proxy.url, token=settings["FUNCX_TOKEN"], max_retries=0)
        fxc.version()
        proxy.close()
        with self.assertRaises(ServiceUnreachable):
            fxc.version()
