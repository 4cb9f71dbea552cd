"""Round trips of funcX-TS's Python client and of Celery + Redis, interleaved in one loop
(`npm run bench -- wan` runs it, with or without its delaying relays in between).

    python3 round_trip_pair.py COUNT        (FUNCX_SERVICE_URL, FUNCX_TOKEN, FUNCX_ENDPOINT_ID
                                              and CELERY_BROKER_URL set)

Each iteration makes two funcX-TS round trips, call(i) (one request) and the upstream SDKs'
run, wait_for_tasks, get_result, and one Celery round trip (delay(i).get()), the order
rotating, so all three see the same moments of a noisy machine. Warm first: functions
registered, workers and connections up. Prints one JSON line:
{"funcx_call_ms": [...], "funcx_ms": [...], "celery_ms": [...]} (funcx_call_ms empty for a
client without call(), as FUNCX_BENCH_PYTHON_SDK may name).
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

    def funcx_call(i):
        return fxc.call(i, endpoint_id=endpoint_id, function_id=function_id)

    def celery_once(i):
        return celery_noop.delay(i).get(timeout=60)

    samples = {"funcx_call_ms": [], "funcx_ms": [], "celery_ms": []}
    kinds = [("funcx_ms", funcx_once), ("celery_ms", celery_once)]
    if hasattr(fxc, "call"):
        kinds.insert(0, ("funcx_call_ms", funcx_call))
    for i in range(-WARM, count):
        turn = i % len(kinds)
        for name, once in kinds[turn:] + kinds[:turn]:
            started = time.perf_counter()
            if once(i) != i:
                raise SystemExit("%s round trip %d: wrong result" % (name, i))
            if i >= 0:
                samples[name].append((time.perf_counter() - started) * 1000)
    print(json.dumps(samples))


if __name__ == "__main__":
    main()
