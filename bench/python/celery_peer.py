"""The peers bench's Celery side (`npm run bench -- peers` runs it).

    python3 celery_peer.py client TASKS ROUND_TRIPS     (with CELERY_BROKER_URL set)
    python3 -m celery -A celery_peer worker ...          (the worker, from this folder)

The same no-op as funcX-TS's, Redis as broker and result backend (the setup
Celery's own guide starts with). Throughput uses Celery's plain idiom for many
tasks, and its fastest ordinary one: a single `group(...)` of every task, then
the group's `.get()` (a native join on Redis). Cutting the work into batches of
1,000 with a `get()` each measured 2.4x slower on the same machine, which would
flatter every ratio against it.
Prints one JSON line: {"tasks_per_s": ..., "round_trips_ms": [...]}.
"""
import json
import os
import sys
import time

from celery import Celery, group

app = Celery("celery_peer", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_BROKER_URL"])
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                broker_connection_retry_on_startup=True)


@app.task
def noop(x=None):
    return x


def throughput(tasks):
    started = time.perf_counter()
    results = group(noop.s(i) for i in range(tasks)).apply_async().get(timeout=600)
    if results != list(range(tasks)):
        raise SystemExit("celery: wrong results")
    return tasks / (time.perf_counter() - started)


def round_trips(count):
    samples = []
    for i in range(count):
        started = time.perf_counter()
        if noop.delay(i).get(timeout=60) != i:
            raise SystemExit("celery round trip %d: wrong result" % i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


if __name__ == "__main__":
    tasks, count = int(sys.argv[2]), int(sys.argv[3])
    throughput(20)  # warm: both worker processes up, connections made
    tasks_per_s = throughput(tasks)
    print(json.dumps({"tasks_per_s": tasks_per_s, "round_trips_ms": round_trips(count)}))
