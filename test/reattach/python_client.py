"""A client process of the reattach test (executor.reattach.test.ts), on the
project's Python client (sdk/python) or, with argv[1] "upstream", on
globus-compute-sdk 2.34.0's Executor (unmodified).

`submit N GATE OPEN_BELOW`: submits N gated squares, prints {"group"} once
every task has an id, then {"result"} per result, and waits (it is killed).
`reattach GROUP`: reload_tasks(), prints {"reloaded", "done_at_once"}, then
{"results": {task_id: value}} once all are in.
Env: FUNCX_SERVICE_URL, FUNCX_TOKEN, FUNCX_ENDPOINT_ID.
"""
import json
import os
import sys
import time

URL = os.environ["FUNCX_SERVICE_URL"]
TOKEN = os.environ["FUNCX_TOKEN"]
ENDPOINT = os.environ["FUNCX_ENDPOINT_ID"]
TIMEOUT = 600
HERE = os.path.dirname(os.path.abspath(__file__))

# Every client runs the same function, from its own file. Compiled as __main__'s (dill sends it by
# value, not as an import the endpoint lacks) under its real path (so its source can be read).
scope = {"__name__": "__main__"}
with open(os.path.join(HERE, "gatedSquare.py")) as source:
    exec(compile(source.read(), os.path.join(HERE, "gatedSquare.py"), "exec"), scope)
gated_square = scope["gated_square"]


def say(line):
    print(json.dumps(line), flush=True)


def upstream_executor(task_group_id=None):
    import globus_sdk
    from globus_compute_sdk import Client, Executor
    from globus_compute_sdk.sdk.login_manager import AuthorizerLoginManager
    from globus_compute_sdk.sdk.web_client import WebClient

    class StaticTokenLoginManager(AuthorizerLoginManager):
        def get_web_client(self, *, base_url=None, app_name=None):
            return WebClient(base_url=URL, app_name=app_name, authorizer=globus_sdk.AccessTokenAuthorizer(TOKEN))

    auth = globus_sdk.AccessTokenAuthorizer(TOKEN)
    gcc = Client(login_manager=StaticTokenLoginManager(authorizers={"funcx_service": auth, "auth.globus.org": auth}))
    return Executor(endpoint_id=ENDPOINT, client=gcc, task_group_id=task_group_id, batch_size=1000)


def own_executor(task_group_id=None):
    from funcx_ts import FuncXClient, FuncXExecutor
    return FuncXExecutor(endpoint_id=ENDPOINT, client=FuncXClient(serializer="json"), task_group_id=task_group_id)


def main():
    flavour, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    make = upstream_executor if flavour == "upstream" else own_executor
    if mode == "submit":
        count, gate, open_below = int(args[0]), args[1], int(args[2])
        executor = make()
        futures = [executor.submit(gated_square, i, gate, open_below) for i in range(count)]
        deadline = time.time() + TIMEOUT
        while not all(f.task_id for f in futures):
            if time.time() > deadline:
                raise TimeoutError("tasks not all submitted")
            time.sleep(0.05)
        say({"group": str(executor.task_group_id)})
        for future in futures:
            say({"result": future.task_id, "value": future.result(timeout=TIMEOUT)})
        return
    executor = make(args[0])
    futures = list(executor.reload_tasks())
    say({"reloaded": len(futures), "done_at_once": sum(1 for f in futures if f.done())})
    results = {}
    for future in futures:
        if future.task_id in results:
            raise AssertionError("task %s reloaded twice" % future.task_id)
        results[future.task_id] = future.result(timeout=TIMEOUT)
    say({"results": results})
    executor.shutdown()


if __name__ == "__main__":
    main()
