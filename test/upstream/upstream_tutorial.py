"""The seeds' tutorial through an unmodified upstream SDK, against funcX-TS.

Run by test/upstream/sdk-tutorial.test.ts with PYTHONPATH set to the upstream
sources; argv[1] is "funcx" (funcx 1.0.13) or "globus-compute" (2.34.0).
Env: FUNCX_URL, FUNCX_TOKEN, FUNCX_ENDPOINT_ID. Prints one JSON object: what
each step gave, for the test to assert on. Only the client construction
differs from the tutorial: a static token and this service's URL.
"""
import json
import os
import sys
import time

URL = os.environ["FUNCX_URL"]
TOKEN = os.environ["FUNCX_TOKEN"]
ENDPOINT = os.environ["FUNCX_ENDPOINT_ID"]
WAIT_SECONDS = 60


def funcx_client():
    from funcx import FuncXClient
    from funcx.errors import FuncxTaskExecutionFailed
    from funcx_static_login import funcx_login_manager

    return FuncXClient(funcx_service_address=URL + "/v2", login_manager=funcx_login_manager(TOKEN)), FuncxTaskExecutionFailed


def globus_compute_client():
    import globus_sdk
    from globus_compute_sdk import Client
    from globus_compute_sdk.errors import TaskExecutionFailed
    from globus_compute_sdk.sdk.login_manager import AuthorizerLoginManager
    from globus_compute_sdk.sdk.web_client import WebClient

    class StaticTokenLoginManager(AuthorizerLoginManager):
        def get_web_client(self, *, base_url=None, app_name=None):
            return WebClient(base_url=URL, app_name=app_name, authorizer=globus_sdk.AccessTokenAuthorizer(TOKEN))

    authorizer = globus_sdk.AccessTokenAuthorizer(TOKEN)
    manager = StaticTokenLoginManager(authorizers={
        "auth.globus.org": authorizer,
        "funcx_service": authorizer,
    })
    return Client(login_manager=manager), TaskExecutionFailed


# --- the tutorial's functions, as written there


def hello_world():
    return "Hello World!"


def funcx_sum(items):
    return sum(items)


def funcx_date():
    from datetime import date
    return date.today()


def failing():
    raise Exception("deterministic failure")


def squared(x):
    return x**2


def pi(num_points):
    from random import random
    inside = 0
    for i in range(num_points):
        x, y = random(), random()
        if x**2 + y**2 < 1:
            inside += 1
    return (inside*4 / num_points)


def wait_result(fxc, task_id):
    """The tutorial's loop: get_result until it stops saying pending."""
    from_errors = sys.modules.get("funcx.errors") or sys.modules.get("globus_compute_sdk.errors")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return fxc.get_result(task_id)
        except from_errors.TaskPending:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(which):
    fxc, TaskFailed = funcx_client() if which == "funcx" else globus_compute_client()
    out = {}

    func_uuid = fxc.register_function(hello_world)
    # funcx 1.0 has no get_function; its web client reads the same route.
    record = fxc.get_function(func_uuid) if which != "funcx" else fxc.web_client.get("functions/%s" % func_uuid).data
    out["function_record_runtime"] = record.get("runtime")
    res = fxc.run(endpoint_id=ENDPOINT, function_id=func_uuid)
    out["hello"] = wait_result(fxc, res)

    sum_function = fxc.register_function(funcx_sum)
    res = fxc.run([1, 2, 3, 4, 5], endpoint_id=ENDPOINT, function_id=sum_function)
    out["sum"] = wait_result(fxc, res)

    date_function = fxc.register_function(funcx_date)
    res = fxc.run(endpoint_id=ENDPOINT, function_id=date_function)
    result = wait_result(fxc, res)
    out["date_type"] = type(result).__name__
    out["date_is_today"] = str(result) == str(__import__("datetime").date.today())

    failing_function = fxc.register_function(failing)
    res = fxc.run(endpoint_id=ENDPOINT, function_id=failing_function)
    try:
        wait_result(fxc, res)
        out["failure"] = None
    except TaskFailed as error:
        out["failure"] = str(error)

    # The squared batch, read with get_batch_result.
    squared_function = fxc.register_function(squared)
    if which == "funcx":
        batch = fxc.create_batch()
        for x in range(10):
            batch.add(squared_function, ENDPOINT, args=(x,))
        batch_res = fxc.batch_run(batch)
    else:
        batch = fxc.create_batch()
        for x in range(10):
            batch.add(squared_function, args=(x,))
        batch_res = fxc.batch_run(ENDPOINT, batch)["tasks"][squared_function]
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        statuses = fxc.get_batch_result(batch_res)
        if len(statuses) == 10 and all(not s["pending"] for s in statuses.values()):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("batch not done: %r" % statuses)
        time.sleep(0.2)
    out["squares"] = [statuses[t]["result"] for t in batch_res]

    # pi three times with the same argument: three tasks, three results.
    pi_function = fxc.register_function(pi)
    tasks = [fxc.run(num_points=10**5, endpoint_id=ENDPOINT, function_id=pi_function) for _ in range(3)]
    out["pi_task_ids"] = tasks
    out["pi"] = [wait_result(fxc, t) for t in tasks]

    status = fxc.get_endpoint_status(ENDPOINT)
    out["endpoint_status"] = status.get("status")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
