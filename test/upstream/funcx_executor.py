"""funcx 1.0.13's FuncXExecutor (unmodified) against funcX-TS, results over AMQP.

Run by test/upstream/funcx-executor.test.ts; env FUNCX_URL, FUNCX_TOKEN,
FUNCX_ENDPOINT_ID. First the seeds' headline example (funcx-overview.rst) as
written, but for the client (this service's URL and a static token); then
the tutorial's functions through the executor, and a second executor that
reattaches to the first one's task group (reload_tasks). Prints one JSON
object with what each call gave.
"""
import json
import os

from funcx import FuncXClient, FuncXExecutor
from funcx.errors import FuncxTaskExecutionFailed
from funcx_static_login import funcx_login_manager

URL = os.environ["FUNCX_URL"]
TOKEN = os.environ["FUNCX_TOKEN"]
ENDPOINT = os.environ["FUNCX_ENDPOINT_ID"]
TIMEOUT = 60


def hello_world():
    return "Hello World!"


def funcx_sum(items):
    return sum(items)


def funcx_echo(name):
    return f"Hello {name}"


def failing():
    raise Exception("deterministic failure")


def main():
    fxc = FuncXClient(funcx_service_address=URL + "/v2", login_manager=funcx_login_manager(TOKEN))
    out = {}

    # The seeds' example (funcx-overview.rst), with the client passed in.
    with FuncXExecutor(endpoint_id=ENDPOINT, funcx_client=fxc) as fxe:
        future = fxe.submit(hello_world)
        out["hello"] = future.result(timeout=TIMEOUT)

    # The tutorial's functions, through one executor.
    with FuncXExecutor(endpoint_id=ENDPOINT, funcx_client=fxc) as fxe:
        out["sum"] = fxe.submit(funcx_sum, [1, 2, 3, 4, 5]).result(timeout=TIMEOUT)
        out["echo"] = fxe.submit(funcx_echo, "World").result(timeout=TIMEOUT)
        squares = [fxe.submit(pow, x, 2) for x in range(10)]
        out["squares"] = [f.result(timeout=TIMEOUT) for f in squares]
        try:
            fxe.submit(failing).result(timeout=TIMEOUT)
            out["failure"] = None
        except FuncxTaskExecutionFailed as error:
            out["failure"] = str(error)
        group = fxe.task_group_id
        out["submitted"] = {f.task_id: f.result() for f in squares}

    # A new executor on the same task group gets a future per task (reload_tasks).
    with FuncXExecutor(endpoint_id=ENDPOINT, funcx_client=fxc, task_group_id=group) as again:
        reloaded = again.reload_tasks()
        out["reloaded"] = {}
        for f in reloaded:
            try:
                out["reloaded"][f.task_id] = f.result(timeout=TIMEOUT)
            except FuncxTaskExecutionFailed as error:
                out["reloaded"][f.task_id] = "failed: " + str(error).splitlines()[-1]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
