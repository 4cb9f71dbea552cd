"""Errors: the service's codes as exception classes, TaskPending, cancellation, and retries."""
import http.server
import json
import socket
import threading
import unittest
import urllib.request
import uuid

import funcx_ts
from funcx_ts import FuncXClient, RemoteException, ServiceError, TaskPending
from funcx_ts.errors import ServiceUnreachable
from tests.support import Gate, client, endpoint_id, live_settings, other_token, wait_done, wait_for_gate

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def double(x):
    return 2 * x


class ServiceErrorTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()

    def assert_error(self, cls, status, call, *args, **kwargs):
        with self.assertRaises(cls) as caught:
            call(*args, **kwargs)
        error = caught.exception
        self.assertIsInstance(error, ServiceError)
        self.assertEqual((error.code, error.http_status), (cls.__name__, status))
        self.assertTrue(error.reason)
        return error

    def test_each_failure_raises_the_class_named_by_its_code(self):
        function_id = self.fxc.register_function(double)
        self.assert_error(funcx_ts.TaskNotFound, 404, self.fxc.get_result, UNKNOWN)
        self.assert_error(funcx_ts.TaskNotFound, 404, self.fxc.get_batch_result, [UNKNOWN])
        self.assert_error(funcx_ts.FunctionNotFound, 404, self.fxc.run, 1, endpoint_id=endpoint_id(), function_id=UNKNOWN)
        self.assert_error(funcx_ts.EndpointNotFound, 404, self.fxc.run, 1, endpoint_id=UNKNOWN, function_id=function_id)
        self.assert_error(funcx_ts.EndpointNotFound, 404, self.fxc.get_endpoint_status, UNKNOWN)
        self.assert_error(funcx_ts.InvalidUUID, 400, self.fxc.get_task, "not-a-uuid")
        self.assert_error(funcx_ts.RequestMalformed, 400, self.fxc.search_function, "x", limit=1000)

    def test_a_bad_token_is_user_unauthenticated(self):
        stranger = FuncXClient(service_url=live_settings()["FUNCX_SERVICE_URL"], token="fxu_not-a-real-token")
        self.assert_error(funcx_ts.UserUnauthenticated, 401, stranger.search_function, "")

    def test_what_another_user_may_not_see_is_not_found(self):
        function_id = self.fxc.register_function(double)
        task_id = self.fxc.run(4, endpoint_id=endpoint_id(), function_id=function_id)
        stranger = FuncXClient(service_url=live_settings()["FUNCX_SERVICE_URL"], token=other_token())
        self.assert_error(funcx_ts.TaskNotFound, 404, stranger.get_result, task_id)
        self.assert_error(funcx_ts.FunctionNotFound, 404, stranger.get_function, function_id)
        self.assert_error(funcx_ts.EndpointNotFound, 404, stranger.run, 4, endpoint_id=endpoint_id(), function_id=function_id)

    def test_service_unreachable(self):
        with socket.socket() as probe:  # a port nothing listens on once this closes
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        dead = FuncXClient(service_url="http://127.0.0.1:%d" % port, token="fxu_x", max_retries=0)
        with self.assertRaises(ServiceUnreachable):
            dead.version()


class TaskStateTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()
        self.gate = Gate()
        self.addCleanup(self.gate.close)

    def test_get_result_raises_task_pending_until_the_task_finished(self):
        task_id = self.fxc.run(self.gate.path, endpoint_id=endpoint_id(),
                               function_id=self.fxc.register_function(wait_for_gate))
        self.addCleanup(self.cancel_quietly, task_id)
        with self.assertRaises(TaskPending) as caught:
            self.fxc.get_result(task_id)
        self.assertEqual(caught.exception.task_id, task_id)
        self.assertIn(caught.exception.status, ("waiting-for-ep", "running"))
        self.assertIs(self.fxc.get_task(task_id)["pending"], True)
        self.assertIs(self.fxc.get_batch_result([task_id])[task_id]["pending"], True)
        self.gate.open()
        wait_done(self.fxc, task_id)
        self.assertEqual(self.fxc.get_result(task_id), "opened")
        self.assertIs(self.fxc.get_task(task_id)["pending"], False)

    def test_a_cancelled_task_raises_task_cancelled(self):
        task_id = self.fxc.run(self.gate.path, endpoint_id=endpoint_id(),
                               function_id=self.fxc.register_function(wait_for_gate))
        self.assertEqual(self.fxc.cancel_task(task_id)["status"], "cancelled")
        with self.assertRaises(RemoteException) as caught:
            self.fxc.get_result(task_id)
        self.assertEqual(caught.exception.remote_type, "TaskCancelled")
        entry = self.fxc.get_batch_result([task_id])[task_id]
        self.assertEqual(entry["status"], "cancelled")
        self.assertIsInstance(entry["exception"], RemoteException)
        with self.assertRaises(funcx_ts.TaskAlreadyFinished):
            self.fxc.cancel_task(task_id)

    def cancel_quietly(self, task_id):
        try:
            self.fxc.cancel_task(task_id)
        except funcx_ts.TaskAlreadyFinished:
            pass


class FlakyProxy:
    """A real HTTP proxy in front of the live service that first answers some requests itself.

    `script` lists (status, Retry-After) answers to give before forwarding; every
    request is recorded, so a test sees how many attempts the client made.
    """

    def __init__(self, target, script):
        self.target = target
        self.script = list(script)
        self.seen = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.relay()

            def do_POST(self):
                self.relay()

            def do_DELETE(self):
                self.relay()

            def relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen.append((self.command, self.path, self.headers.get("Idempotency-Key")))
                if proxy.script:
                    status, retry_after = proxy.script.pop(0)
                    payload = json.dumps({"code": {429: "TooManyRequests", 503: "DatabaseUnavailable"}[status],
                                          "reason": "injected by the test proxy", "http_status_code": status}).encode()
                    self.send_response(status)
                    if retry_after is not None:
                        self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(proxy.target + self.path, data=body or None,
                                                 method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, data = answer.status, answer.read()
                except urllib.error.HTTPError as answer:
                    status, data = answer.code, answer.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class RetryTest(unittest.TestCase):
    def proxied_client(self, script, **options):
        settings = live_settings()
        proxy = FlakyProxy(settings["FUNCX_SERVICE_URL"], script)
        self.addCleanup(proxy.close)
        return proxy, FuncXClient(service_url=proxy.url, token=settings["FUNCX_TOKEN"], **options)

    def test_idempotent_calls_are_retried_after_retry_after(self):
        proxy, fxc = self.proxied_client([(503, "0"), (429, "0")])
        self.assertIsInstance(fxc.search_function(""), list)
        self.assertEqual([method for method, _, _ in proxy.seen], ["GET", "GET", "GET"])

    def test_a_submit_is_retried_with_the_same_idempotency_key_and_runs_once(self):
        fxc = client()
        function_id = fxc.register_function(double)
        proxy, flaky = self.proxied_client([(503, "0")])
        task_id = flaky.run(21, endpoint_id=endpoint_id(), function_id=function_id)
        self.assertEqual(len(proxy.seen), 2)
        keys = {key for _, _, key in proxy.seen}
        self.assertEqual(len(keys), 1)
        self.assertIsNotNone(keys.pop())
        wait_done(fxc, task_id)
        self.assertEqual(fxc.get_result(task_id), 42)

    def test_a_registration_is_retried_on_429_only(self):
        proxy, fxc = self.proxied_client([(429, "0")])
        function_id = fxc.register_function(double)
        self.assertEqual(uuid.UUID(function_id).version, 4)
        self.assertEqual(len(proxy.seen), 2)
        proxy, fxc = self.proxied_client([(503, "0")])
        with self.assertRaises(funcx_ts.DatabaseUnavailable):
            fxc.register_function(double)  # it may have been stored: not repeated blindly
        self.assertEqual(len(proxy.seen), 1)

    def test_delete_and_cancel_are_sent_once(self):
        fxc = client()
        function_id = fxc.register_function(double)
        task_id = fxc.run(1, endpoint_id=endpoint_id(), function_id=function_id)
        proxy, flaky = self.proxied_client([(503, "0")])
        with self.assertRaises(funcx_ts.DatabaseUnavailable):
            flaky.delete_function(function_id)  # it may have been deleted: not repeated blindly
        self.assertEqual([method for method, _, _ in proxy.seen], ["DELETE"])
        self.assertEqual(fxc.get_function(function_id)["function_uuid"], function_id)  # the 503 came from the proxy
        proxy, flaky = self.proxied_client([(503, "0")])
        with self.assertRaises(funcx_ts.DatabaseUnavailable):
            flaky.cancel_task(task_id)
        self.assertEqual([method for method, _, _ in proxy.seen], ["POST"])
        wait_done(fxc, task_id)

    def test_retries_are_bounded(self):
        proxy, fxc = self.proxied_client([(503, "0")] * 3, max_retries=2)
        with self.assertRaises(funcx_ts.DatabaseUnavailable) as caught:
            fxc.version()
        self.assertEqual(caught.exception.http_status, 503)
        self.assertEqual(len(proxy.seen), 3)

    def test_a_long_retry_after_is_not_waited_out(self):
        proxy, fxc = self.proxied_client([(503, "3600")])
        with self.assertRaises(funcx_ts.DatabaseUnavailable):
            fxc.version()
        self.assertEqual(len(proxy.seen), 1)

    def test_retry_after_in_seconds_or_as_an_http_date(self):
        import email.utils
        import time
        from funcx_ts.transport import parse_retry_after
        self.assertEqual(parse_retry_after("3"), 3.0)
        self.assertEqual(parse_retry_after("-1"), 0.0)
        self.assertIsNone(parse_retry_after("soon"))
        self.assertIsNone(parse_retry_after(None))
        later = parse_retry_after(email.utils.formatdate(time.time() + 120, usegmt=True))
        self.assertTrue(100 < later <= 120, later)
        self.assertEqual(parse_retry_after(email.utils.formatdate(time.time() - 120, usegmt=True)), 0.0)

    def test_an_unknown_code_is_still_a_service_error(self):
        proxy, fxc = self.proxied_client([(429, "3600")])
        with self.assertRaises(ServiceError) as caught:
            fxc.version()
        self.assertEqual((caught.exception.code, caught.exception.http_status), ("TooManyRequests", 429))


if __name__ == "__main__":
    unittest.main()
