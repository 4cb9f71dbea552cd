"""Round trips of funcX-TS's Python client and of Celery + Redis, interleaved in one loop
(`npm run bench -- wan` runs it, with or without its delaying relays in between).

    python3 round_trip_pair.py COUNT        (FUNCX_SERVICE_URL, FUNCX_TOKEN, FUNCX_ENDPOINT_ID
                                              and CELERY_BROKER_URL set)

Each iteration makes one funcX-TS round trip (run, wait_for_tasks, get_result) and one
Celery round trip (delay(i).get()), the order alternating, so both see the same moments
of a noisy machine. Warm first: functions registered, workers and connections up.
Prints one JSON line: {"funcx_ms": [...], "celery_ms": [...]}.
"""
import json
import os
import sys
import time

from celery_peer import noop as celery_noop
from funcx_ts import FuncXClient

WARM = 10


def noop(x=None):
    return x


def main():
    count = int(sys.argv[1])
    fxc = FuncXClient()
    endpoint_id = os.environ["FUNCX_ENDPOINT_ID"]
    function_id = fxc.register_function(noop)

    def funcx_once(i):
        task_id = fxc.run(i, endpoint_id=endpoint_id, function_id=function_id)
        pending = [task_id]
        while pending:
            pending = fxc.wait_for_tasks(pending, timeout_s=30)["pending"]
        return fxc.get_result(task_id)

    def celery_once(i):
        return celery_noop.delay(i).get(timeout=60)

    samples = {"funcx_ms": [], "celery_ms": []}
    for i in range(-WARM, count):
        pair = [("funcx_ms", funcx_once), ("celery_ms", celery_once)]
        for name, once in pair if i % 2 == 0 else reversed(pair):
            started = time.perf_counter()
            if once(i) != i:
                raise SystemExit("%s round trip %d: wrong result" % (name, i))
            if i >= 0:
                samples[name].append((time.perf_counter() - started) * 1000)
    print(json.dumps(samples))


if __name__ == "__main__":
    main()
