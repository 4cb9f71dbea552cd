"""Endpoint status, as the tutorial reads it, and the endpoint listing."""
import os
import unittest

from tests.support import client, endpoint_id


class EndpointStatusTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()

    def test_a_running_endpoint_reports_its_workers_in_logs_0(self):
        status = self.fxc.get_endpoint_status(endpoint_id())
        self.assertEqual(status["status"], "online")
        latest = status["logs"][0]
        self.assertGreater(latest["total_workers"], 0)
        if os.environ.get("FUNCX_TEST_ENDPOINT_WORKERS"):  # the ava test's endpoint says how many it runs
            self.assertEqual(latest["total_workers"], int(os.environ["FUNCX_TEST_ENDPOINT_WORKERS"]))
        self.assertIsInstance(latest["outstanding_tasks"], int)
        self.assertTrue(latest["timestamp"])

    def test_an_endpoint_that_never_reported_still_has_logs_0(self):
        registered = self.fxc.transport.request("POST", "/v3/endpoints", {"name": "never-started"})
        status = self.fxc.get_endpoint_status(registered["endpoint_id"])
        self.assertEqual(status["status"], "offline")
        self.assertEqual(status["logs"], [{"timestamp": None, "total_workers": 0, "idle_workers": 0,
                                           "outstanding_tasks": 0, "pending_tasks": 0}])

    def test_list_and_read_endpoints(self):
        listed = {e["endpoint_id"]: e for e in self.fxc.list_endpoints()}
        self.assertIn(endpoint_id(), listed)
        self.assertEqual(listed[endpoint_id()]["status"], "online")
        self.assertEqual(self.fxc.get_endpoint(endpoint_id())["name"], listed[endpoint_id()]["name"])


if __name__ == "__main__":
    unittest.main()
