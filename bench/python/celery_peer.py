"""The peers bench's Celery side: the app both the worker and the drivers import.

    python3 -m celery -A celery_peer worker ...          (the worker, from this folder)
    peer_driver.py celery / round_trip_pair.py           (the clients; CELERY_BROKER_URL set)

The same no-op as funcX-TS's, Redis as broker and result backend (the setup
Celery's own guide starts with). Throughput uses Celery's plain idiom for many
tasks, and its fastest ordinary one: a single `group(...)` of every task, then
the group's `.get()` (a native join on Redis). Cutting the work into batches of
1,000 with a `get()` each measured 2.4x slower on the same machine, which would
flatter every ratio against it.
"""
import os
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
        raise RuntimeError("celery: wrong results")
    return tasks / (time.perf_counter() - started)


def round_trip(i):
    """One task: delay(i), then its get(); checked to return i."""
    if noop.delay(i).get(timeout=60) != i:
        raise RuntimeError("celery round trip %d: wrong result" % i)
