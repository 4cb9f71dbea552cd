"""The peers bench's funcX-TS side in Python (`npm run bench -- peers` runs it).

    python3 funcx_peer.py client|executor TASKS ROUND_TRIPS

Uses the Python client in sdk/python (on PYTHONPATH) configured as a new user's
would be: FUNCX_HOME's quickstart.json, default serializer, default endpoint.
Prints one JSON line: {"tasks_per_s": ..., "round_trips_ms": [...]}.
"""
import json
import sys
import time

from funcx_ts import FuncXClient, FuncXExecutor

BATCH = 1000


def noop(x=None):
    return x


def client_throughput(fxc, function_id, tasks):
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
                raise SystemExit("task %s: %r" % (task_id, results[task_id]))
    return tasks / (time.perf_counter() - started)


def client_round_trips(fxc, function_id, count):
    samples = []
    for i in range(count):
        started = time.perf_counter()
        task_id = fxc.run(i, function_id=function_id)
        pending = [task_id]
        while pending:
            pending = fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
        if fxc.get_result(task_id) != i:
            raise SystemExit("round trip %d: wrong result" % i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def executor_throughput(executor, tasks):
    started = time.perf_counter()
    results = list(executor.map(noop, range(tasks)))
    if results != list(range(tasks)):
        raise SystemExit("executor map: wrong results")
    return tasks / (time.perf_counter() - started)


def executor_round_trips(executor, count):
    samples = []
    for i in range(count):
        started = time.perf_counter()
        if executor.submit(noop, i).result() != i:
            raise SystemExit("executor round trip %d: wrong result" % i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main():
    mode, tasks, round_trips = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    fxc = FuncXClient()
    if mode == "client":
        function_id = fxc.register_function(noop)
        client_throughput(fxc, function_id, 20)  # warm: the endpoint's Python workers started
        tasks_per_s = client_throughput(fxc, function_id, tasks)
        samples = client_round_trips(fxc, function_id, round_trips)
    else:
        with FuncXExecutor(client=fxc) as executor:
            executor_throughput(executor, 20)
            tasks_per_s = executor_throughput(executor, tasks)
            samples = executor_round_trips(executor, round_trips)
    print(json.dumps({"tasks_per_s": tasks_per_s, "round_trips_ms": samples}))


if __name__ == "__main__":
    main()
