"""The peers bench's funcX-TS side in Python: what peer_driver.py runs for the funcx-* peers.

Uses the Python client in sdk/python (on PYTHONPATH) configured as a new user's would be:
FUNCX_HOME's quickstart.json, default serializer, default endpoint.
"""
import time

BATCH = 1000


def noop(x=None):
    return x


def client_throughput(fxc, function_id, tasks):
    """Tasks/s of `tasks` no-ops: submitted in batches of BATCH, waited for and read back a batch at a time."""
    started = time.perf_counter()
    task_ids = []
    for start in range(0, tasks, BATCH):
        batch = fxc.create_batch()
        for i in range(start, min(tasks, start + BATCH)):
            batch.add(i, function_id=function_id)
        task_ids += fxc.batch_run(batch)
    for start in range(0, len(task_ids), BATCH):
        chunk = task_ids[start:start + BATCH]
        pending = chunk
        while pending:
            pending = fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
        results = fxc.get_batch_result(chunk)
        for offset, task_id in enumerate(chunk):
            if results[task_id].get("result") != start + offset:
                raise RuntimeError("task %s: %r" % (task_id, results[task_id]))
    return tasks / (time.perf_counter() - started)


def client_call(fxc, function_id, i):
    """One task: call (one request, its answer the result); checked to return i."""
    if fxc.call(i, function_id=function_id) != i:
        raise RuntimeError("call %d: wrong result" % i)


def client_round_trip(fxc, function_id, i):
    """One task the upstream SDKs' way: run, wait_for_tasks until it is done, get_result; checked to return i."""
    task_id = fxc.run(i, function_id=function_id)
    pending = [task_id]
    while pending:
        pending = fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
    if fxc.get_result(task_id) != i:
        raise RuntimeError("round trip %d: wrong result" % i)


def executor_throughput(executor, tasks):
    started = time.perf_counter()
    results = list(executor.map(noop, range(tasks)))
    if results != list(range(tasks)):
        raise RuntimeError("executor map: wrong results")
    return tasks / (time.perf_counter() - started)


def executor_round_trip(executor, i):
    if executor.submit(noop, i).result() != i:
        raise RuntimeError("executor round trip %d: wrong result" % i)
