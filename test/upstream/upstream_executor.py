"""globus_compute_sdk.Executor (2.34.0) against funcX-TS, results over AMQP.

Run by test/upstream/executor-amqp.test.ts; env FUNCX_URL, FUNCX_TOKEN,
FUNCX_ENDPOINT_ID. Prints one JSON object with what submit, map and a failing
call gave.
"""
import json
import os

import globus_sdk
from globus_compute_sdk import Client, Executor
from globus_compute_sdk.errors import TaskExecutionFailed
from globus_compute_sdk.sdk.login_manager import AuthorizerLoginManager
from globus_compute_sdk.sdk.web_client import WebClient

URL = os.environ["FUNCX_URL"]
TOKEN = os.environ["FUNCX_TOKEN"]
ENDPOINT = os.environ["FUNCX_ENDPOINT_ID"]
TIMEOUT = 60


class StaticTokenLoginManager(AuthorizerLoginManager):
    def get_web_client(self, *, base_url=None, app_name=None):
        return WebClient(base_url=URL, app_name=app_name, authorizer=globus_sdk.AccessTokenAuthorizer(TOKEN))


def double(x):
    return 2 * x


def fails():
    raise ValueError("executor failure")


def main():
    auth = globus_sdk.AccessTokenAuthorizer(TOKEN)
    gcc = Client(login_manager=StaticTokenLoginManager(authorizers={"funcx_service": auth, "auth.globus.org": auth}))
    out = {}
    with Executor(endpoint_id=ENDPOINT, client=gcc) as gce:
        out["submit"] = gce.submit(double, 21).result(timeout=TIMEOUT)
        # Executor.map is NotImplementedError in 2.34: the mapping is a submit per item.
        futures = [gce.submit(double, x) for x in range(5)]
        out["map"] = [f.result(timeout=TIMEOUT) for f in futures]
        try:
            gce.submit(fails).result(timeout=TIMEOUT)
            out["failure"] = None
        except TaskExecutionFailed as error:
            out["failure"] = str(error)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
