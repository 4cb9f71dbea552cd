"""One peer of the peers bench, driven over a pipe (`npm run bench -- peers` starts one per row).

    python3 peer_driver.py funcx-client|funcx-executor|celery

funcx-*: the Python client in sdk/python (on PYTHONPATH), configured as a new user's would be
(FUNCX_HOME's quickstart.json: service, token, default endpoint). celery: celery_peer's app
(CELERY_BROKER_URL set, this folder on PYTHONPATH).

The process stays up for the whole bench, so the peers' round trips can be interleaved by the
caller one at a time (a machine's noisy moments then fall on every peer alike) without paying
an interpreter start or a new connection per sample. It reads one JSON command per line on
stdin and answers each with one JSON line on stdout; every time is taken here, around the work
only, so the pipe is not in any figure:

    {"op": "warm"}                    -> {"ok": true}     workers started, connections made
    {"op": "throughput", "tasks": N}  -> {"tasks_per_s": x}
    {"op": "round_trip", "i": i}      -> {"ms": x}        one task, checked to return i
    {"op": "run_wait_round_trip", "i": i} -> {"ms": x}    funcx-client only: the same, as run, wait_for_tasks, get_result
    {"op": "about"}                   -> {"idiom": "...", "version": "..."} (funcx-client: and "run_wait_idiom")

Any failure answers {"error": "..."} and the process exits.
"""
import json
import sys
import time
import traceback

WARM_TASKS = 20
WARM_ROUND_TRIPS = 10


def noop(x=None):
    return x


def start_funcx_client():
    import funcx_peer
    from funcx_ts import FuncXClient, __version__

    fxc = FuncXClient()
    function_id = fxc.register_function(noop)
    return {
        "throughput": lambda tasks: funcx_peer.client_throughput(fxc, function_id, tasks),
        "round_trip": lambda i: funcx_peer.client_call(fxc, function_id, i),
        "run_wait_round_trip": lambda i: funcx_peer.client_round_trip(fxc, function_id, i),
        "about": {"idiom": "batches of %d, wait_for_tasks, get_batch_result; call(i)" % funcx_peer.BATCH,
                  "run_wait_idiom": "run(i), wait_for_tasks, get_result", "version": __version__},
    }


def start_funcx_executor():
    import funcx_peer
    from funcx_ts import FuncXExecutor, __version__

    executor = FuncXExecutor()
    return {
        "throughput": lambda tasks: funcx_peer.executor_throughput(executor, tasks),
        "round_trip": lambda i: funcx_peer.executor_round_trip(executor, i),
        "about": {"idiom": "FuncXExecutor.map; submit().result()", "version": __version__},
        "close": executor.shutdown,
    }


def start_celery():
    import celery
    import celery_peer as peer

    return {
        "throughput": peer.throughput,
        "round_trip": peer.round_trip,
        "about": {"idiom": "one group(...) of every task, then its get(); delay(i).get()", "version": celery.__version__},
    }


PEERS = {"funcx-client": start_funcx_client, "funcx-executor": start_funcx_executor, "celery": start_celery}


def timed_ms(work, i):
    started = time.perf_counter()
    work(i)
    return (time.perf_counter() - started) * 1000


def answer(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve(peer):
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "warm":
            peer["throughput"](WARM_TASKS)
            for i in range(WARM_ROUND_TRIPS):
                peer["round_trip"](i)
                if "run_wait_round_trip" in peer:
                    peer["run_wait_round_trip"](i)
            answer({"ok": True})
        elif op == "throughput":
            answer({"tasks_per_s": peer["throughput"](int(command["tasks"]))})
        elif op == "round_trip":
            answer({"ms": timed_ms(peer["round_trip"], int(command["i"]))})
        elif op == "run_wait_round_trip":
            answer({"ms": timed_ms(peer["run_wait_round_trip"], int(command["i"]))})
        elif op == "about":
            answer(peer["about"])
        else:
            raise ValueError("unknown op %r" % op)


def main():
    peer = None
    try:
        peer = PEERS[sys.argv[1]]()
        serve(peer)
    except Exception as error:  # answered, so the caller's pending command fails with the cause
        traceback.print_exc()
        answer({"error": "%s: %s" % (type(error).__name__, error)})
        sys.exit(1)
    finally:
        if peer and "close" in peer:
            peer["close"]()


if __name__ == "__main__":
    main()
