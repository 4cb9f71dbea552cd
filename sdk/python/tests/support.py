"""What every test here needs: the live service and endpoint the ava test started.

test/sdk-python/*.test.ts start a real service and a real funcx-endpoint
process, then run these files with FUNCX_SERVICE_URL, FUNCX_TOKEN and
FUNCX_TEST_ENDPOINT_ID set. To run them by hand against `npm start`:

    FUNCX_SERVICE_URL=... FUNCX_TOKEN=... FUNCX_TEST_ENDPOINT_ID=... \
        python3 -m unittest discover -s sdk/python/tests -t sdk/python
"""
import os
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_ROOT = os.path.dirname(HERE)
if SDK_ROOT not in sys.path:
    sys.path.insert(0, SDK_ROOT)

from funcx_ts import FuncXClient  # noqa: E402


def live_settings(need_endpoint=True):
    names = ("FUNCX_SERVICE_URL", "FUNCX_TOKEN") + (("FUNCX_TEST_ENDPOINT_ID",) if need_endpoint else ())
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise RuntimeError("these tests need a live service and endpoint: set %s" % ", ".join(missing))
    return {name: os.environ[name] for name in names}


def endpoint_id():
    return live_settings()["FUNCX_TEST_ENDPOINT_ID"]


def other_token():
    """A token of another identity than FUNCX_TOKEN's (the ava test creates it)."""
    token = os.environ.get("FUNCX_TEST_OTHER_TOKEN")
    if not token:
        raise RuntimeError("set FUNCX_TEST_OTHER_TOKEN to a token of another user (funcx-service token create --user NAME)")
    return token


def client(**options):
    live_settings()
    return FuncXClient(**options)


def wait_done(fxc, *task_ids, timeout_s=120):
    """Blocks (long-poll, no busy loop) until the tasks finished: what a person does between notebook cells."""
    pending = list(task_ids)
    deadline = time.monotonic() + timeout_s
    while pending:
        if time.monotonic() > deadline:
            raise AssertionError("tasks still pending after %ss: %s" % (timeout_s, pending))
        pending = fxc.wait_for_tasks(pending, timeout_s=10)["pending"]


class Gate:
    """A file a remote function waits for: keeps a task running until the test opens the gate.

    The endpoint's workers run on this machine, so a path in the temp folder is shared.
    """

    def __init__(self):
        self.path = os.path.join(tempfile.gettempdir(), "funcx-gate-%s" % uuid.uuid4())

    def open(self):
        with open(self.path, "w"):
            pass

    def close(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def wait_for_gate(path, limit_s=60):
    """Registered as a function: returns once `path` exists (bounded, so a lost test never hangs a worker)."""
    import os
    import time
    deadline = time.time() + limit_s
    while not os.path.exists(path):
        if time.time() > deadline:
            raise TimeoutError("gate %s never opened" % path)
        time.sleep(0.02)
    return "opened"
