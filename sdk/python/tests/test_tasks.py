"""Listing your tasks (newest first, by cursor) and cancelling several, or a whole task group."""
import unittest

import funcx_ts
from tests.support import Gate, client, endpoint_id, wait_done, wait_for_gate


def tasks_square(x):
    return x * x


class TaskListingTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()

    def test_list_tasks_pages_newest_first_with_the_cursor(self):
        function_id = self.fxc.register_function(tasks_square)
        task_ids = [self.fxc.run(x, endpoint_id=endpoint_id(), function_id=function_id) for x in range(3)]
        wait_done(self.fxc, *task_ids)
        seen, cursor = [], None
        for _ in range(10):
            page = self.fxc.list_tasks(function_id=function_id, limit=2, cursor=cursor)
            seen += [task["task_id"] for task in page["tasks"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, list(reversed(task_ids)))
        newest = self.fxc.list_tasks(function_id=function_id, status=["success", "failed"], since="1h", limit=1)["tasks"][0]
        self.assertEqual((newest["task_id"], newest["status"], newest["attempts"]), (task_ids[-1], "success", 1))
        self.assertNotIn("result", newest)
        self.assertEqual(self.fxc.list_tasks(function_id=function_id, status="running")["tasks"], [])

    def test_bad_listing_input_raises_the_service_errors(self):
        with self.assertRaises(funcx_ts.InvalidTimeBound) as caught:
            self.fxc.list_tasks(since="yesterday")
        self.assertEqual(caught.exception.http_status, 400)
        with self.assertRaises(funcx_ts.InvalidCursor):
            self.fxc.list_tasks(cursor="not-ours")

    def test_the_endpoint_owner_sees_its_running_task(self):
        gate = Gate()
        self.addCleanup(gate.close)
        task_id = self.fxc.run(gate.path, endpoint_id=endpoint_id(), function_id=self.fxc.register_function(wait_for_gate))
        self.addCleanup(self.fxc.cancel_tasks, [task_id])
        for _ in range(2400):
            listed = self.fxc.list_endpoint_tasks(endpoint_id(), status="running")["tasks"]
            if any(task["task_id"] == task_id for task in listed):
                break
            still = self.fxc.wait_for_tasks([task_id], timeout_s=0.05)  # a short pause that also checks it did not end
            self.assertEqual(still["done"], {})
        else:
            self.fail("task %s never listed as running on its endpoint" % task_id)
        mine = next(task for task in listed if task["task_id"] == task_id)
        self.assertIn("owner", mine)
        self.assertNotIn("payload", mine)


class CancelManyTest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()
        self.gate = Gate()
        self.addCleanup(self.gate.close)

    def test_cancel_tasks_reports_which_were_cancelled_and_why_not(self):
        gated = self.fxc.register_function(wait_for_gate)
        waiting = self.fxc.run(self.gate.path, endpoint_id=endpoint_id(), function_id=gated)
        done = self.fxc.run(3, endpoint_id=endpoint_id(), function_id=self.fxc.register_function(tasks_square))
        wait_done(self.fxc, done)
        answer = self.fxc.cancel_tasks([waiting, done])
        self.assertEqual([record["task_id"] for record in answer["cancelled"]], [waiting])
        self.assertEqual([(x["task_id"], x["code"]) for x in answer["not_cancelled"]], [(done, "TaskAlreadyFinished")])
        self.assertEqual(self.fxc.get_task(waiting)["status"], "cancelled")

    def test_cancel_task_group_cancels_what_has_not_finished(self):
        gated = self.fxc.register_function(wait_for_gate)
        batch = self.fxc.create_batch()
        for _ in range(2):
            batch.add(self.gate.path, endpoint_id=endpoint_id(), function_id=gated)
        task_ids = self.fxc.batch_run(batch)
        group = self.fxc.get_task(task_ids[0])["task_group_id"]
        answer = self.fxc.cancel_task_group(group)
        self.assertEqual(sorted(answer["cancelled"]), sorted(task_ids))
        self.assertEqual(answer["not_cancelled"], [])
        self.assertEqual({self.fxc.get_task(t)["status"] for t in task_ids}, {"cancelled"})


if __name__ == "__main__":
    unittest.main()
