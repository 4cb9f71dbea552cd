"""FuncXClient: register functions, run them on endpoints, collect results."""
import collections
import datetime
import platform
import re
import threading
import time
import uuid

from . import __version__
from .batch import Batch
from .config import resolve
from .errors import FuncXError, SdkVersionTooOld, ServiceError, TaskNotFound, TaskPending
from .remote_exceptions import rebuild_exception
from .runtime import user_runtime
from .search import SearchResults
from .serialization import check_serializer, decode_result, encode_payload
from .shell import ShellFunction
from .source import function_source
from .stored_login import StoredLoginTokens
from .transport import Transport

# The service takes at most 1000 ids per status or wait request.
STATUS_CHUNK = 1000
# Tasks per POST /v3/submit: well under the service's FUNCX_MAX_BATCH_TASKS (5000) and body limit.
SUBMIT_CHUNK = 500
# Finished task records a wait brought back, kept so that get_task/get_result need no request of
# their own (a finished record never changes); the oldest are forgotten beyond this many.
REMEMBERED_FINISHED = 256
# The longest one request of call() holds: under the service's limit (60 s), and short enough for proxies that cut idle connections.
CALL_WAIT_S = 30


class FuncXClient:
    """A client of the funcX-TS service.

    Configured by arguments, else FUNCX_SERVICE_URL / FUNCX_TOKEN, else the
    quickstart.json the service writes on first start (see funcx.config).
    `serializer` ('pickle', the default, or 'json') encodes arguments and
    results of the calls this client makes.
    """

    def __init__(self, service_url=None, token=None, serializer="pickle", timeout=60.0, max_retries=4,
                 ca_file=None):
        settings = resolve(service_url=service_url, token=token, ca_file=ca_file)
        self.service_url = settings.service_url
        self.config_source = settings.source
        # The endpoint named in quickstart.json (the local one `npm start` runs), or FUNCX_ENDPOINT_ID.
        self.default_endpoint_id = settings.endpoint_id
        self.serializer = check_serializer(serializer)
        # A token from an OpenID Connect login in credentials.json is renewed as it expires; one given by argument or FUNCX_TOKEN is used as is.
        token = StoredLoginTokens(*settings.stored_login) if settings.stored_login else settings.token
        self.transport = Transport(settings.service_url, token, timeout=timeout, max_retries=max_retries,
                                   ca_file=settings.ca_file)
        self._finished = collections.OrderedDict()
        self._finished_lock = threading.Lock()

    def __repr__(self):
        return "FuncXClient(%r)" % self.service_url

    # -- the service --------------------------------------------------------------------------

    def version(self):
        """The service's versions: {api, version, min_sdk_version, ...}."""
        return self.transport.request("GET", "/v2/version")

    def check_version(self):
        """The service's versions, checked against this client: a service that no longer serves it
        (min_sdk_version newer than __version__) raises SdkVersionTooOld naming both versions.
        Read leniently: a field another release lacks or shapes otherwise is not an error."""
        answer = self.version()
        body = answer if isinstance(answer, dict) else {}
        minimum = body.get("min_sdk_version")
        if isinstance(minimum, str) and _older(__version__, minimum):
            service = " %s" % body["version"] if isinstance(body.get("version"), str) else ""
            raise SdkVersionTooOld("this SDK is version %s, but the service%s serves SDKs from version %s on: "
                                   "upgrade (pip install --upgrade funcx-ts)" % (__version__, service, minimum))
        return body

    # -- functions ---------------------------------------------------------------------------

    def register_function(self, function, description=None, public=False, searchable=False,
                          group=None, function_name=None, metadata=None, container_image=None):
        """Registers a Python function by its source (or a ShellFunction / MPIFunction by its
        template); returns its id (a UUID string).

        `group` (a group name, or a list of them) lets members run it; `public`
        lets anyone run it; `searchable` lets others find it with search_function.
        `container_image` runs its tasks in a container of that image on endpoints
        that run containers (as Globus Compute's container ids did).
        """
        if isinstance(function, ShellFunction):
            body = {"runtime": function.runtime, "source": function.source, "name": function_name or function.name}
        else:
            body = {
                "runtime": "python",
                "source": function_source(function),
                "entry_point": function.__name__,
                "name": function_name or function.__name__,
            }
        body.update({
            "public": bool(public),
            "searchable": bool(searchable),
            "metadata": dict(metadata or {}, python_version=platform.python_version(), sdk_version=__version__),
        })
        if description is not None:
            body["description"] = description
        if container_image is not None:
            body["container_image"] = container_image
        if group:
            body["group_ids"] = [group] if isinstance(group, str) else list(group)
        return self.transport.request("POST", "/v3/functions", body)["function_uuid"]

    def get_function(self, function_id):
        return self.transport.request("GET", "/v3/functions/%s" % function_id)

    def delete_function(self, function_id):
        # Sent once (no retry on 5xx or a lost answer): it may have been carried out already.
        return self.transport.request("DELETE", "/v3/functions/%s" % function_id, idempotent=False)

    def search_function(self, q="", offset=0, limit=10):
        """Functions matching q (name, description, owner or source), newest first; prints as a table."""
        answer = self.transport.request("GET", "/v3/functions", query={"q": q, "offset": offset, "limit": limit})
        return SearchResults(answer["functions"], answer["total"], answer["offset"], answer["limit"], q)

    # -- running -----------------------------------------------------------------------------

    def run(self, *args, endpoint_id=None, function_id=None, **kwargs):
        """Runs function_id(*args, **kwargs) on endpoint_id; returns the task id."""
        task_id, _ = self._submit_one(args, kwargs, endpoint_id, function_id, wait_s=0)
        return task_id

    def call(self, *args, endpoint_id=None, function_id=None, timeout_s=None, **kwargs):
        """Runs function_id(*args, **kwargs) on endpoint_id and answers what it returned (raises what it raised).

        One request for a task that finishes within CALL_WAIT_S: the service holds the submit's
        answer until the task is done (as AWS Lambda's RequestResponse invocation does); a longer
        task is then waited for with wait_for_tasks. timeout_s (None: as long as it takes) bounds
        the whole call; past it, TaskPending is raised with the task's id, whose result
        get_result collects later. A keyword argument of the function named timeout_s, endpoint_id
        or function_id cannot be passed this way: use run.
        """
        deadline = None if timeout_s is None else time.monotonic() + max(0.0, timeout_s)
        first_wait = CALL_WAIT_S if deadline is None else min(CALL_WAIT_S, max(0.0, timeout_s))
        task_id, waited = self._submit_one(args, kwargs, endpoint_id, function_id, wait_s=first_wait)
        record = (waited or {}).get("done", {}).get(task_id)
        while record is None:
            left = CALL_WAIT_S if deadline is None else deadline - time.monotonic()
            if left <= 0:
                record = self.get_task(task_id)
                if record["pending"]:
                    raise TaskPending(task_id, record["status"])
                break
            answer = self.wait_for_tasks([task_id], timeout_s=min(CALL_WAIT_S, left))
            record = answer["done"].get(task_id)
            if answer["not_found"]:
                raise TaskNotFound(404, "TaskNotFound", "task %s not found" % task_id)
        kind, value = self.outcome(record)
        if kind == "exception":
            raise value
        return value

    def _submit_one(self, args, kwargs, endpoint_id, function_id, wait_s):
        """One task submitted; (its id, the answer's wait when wait_s > 0: {done, pending, not_found})."""
        endpoint_id = endpoint_id or self.default_endpoint_id
        if not endpoint_id or not function_id:
            raise ValueError("run and call need endpoint_id= and function_id=")
        body = {
            "serializer": self.serializer,
            "user_runtime": user_runtime(),
            "tasks": {str(function_id): [encode_payload(self.serializer, args, kwargs)]},
        }
        options = _fresh_submit()
        if wait_s > 0:
            body["wait_s"] = wait_s
            options["timeout"] = self.transport.timeout + wait_s  # the socket must outlast the service's wait
        answer = self.transport.request("POST", "/v3/endpoints/%s/submit" % endpoint_id, body, **options)
        return answer["tasks"][str(function_id).lower()][0], answer.get("wait")

    def create_batch(self, serializer=None, resource_specification=None):
        """An empty Batch; add calls with batch.add(*args, endpoint_id=..., function_id=..., **kwargs).

        resource_specification ({num_nodes, ranks_per_node, num_ranks, launcher_options}) goes with
        every call of the batch (MPIFunction calls need one).
        """
        return Batch(serializer or self.serializer, default_endpoint_id=self.default_endpoint_id,
                     resource_specification=resource_specification)

    def batch_run(self, batch):
        """Submits every call of the batch; returns their task ids, in the order they were added."""
        return [task["task_id"] for task in self.submit_tasks(batch.tasks)]

    def submit_tasks(self, tasks, task_group_id=None):
        """POST /v3/submit for prepared {endpoint_id, function_id, payload, serializer} items.

        Large batches go in several requests sharing one task group. Each
        request has its own Idempotency-Key, so a retried request never runs
        its calls twice. Returns the service's {task_id, endpoint_id, function_id} items.
        """
        if not tasks:
            return []
        task_group_id = task_group_id or str(uuid.uuid4())
        submitted = []
        for start in range(0, len(tasks), SUBMIT_CHUNK):
            body = {"task_group_id": task_group_id, "user_runtime": user_runtime(),
                    "tasks": list(tasks[start:start + SUBMIT_CHUNK])}
            submitted += self.transport.request("POST", "/v3/submit", body, **_fresh_submit())["tasks"]
        return submitted

    # -- tasks and results -------------------------------------------------------------------

    def get_task(self, task_id):
        """The task record: status, pending (a bool), and result or exception once finished.

        A task that a wait_for_tasks of this client saw finish is answered from that
        wait's answer, without a request: run, wait_for_tasks, get_result is two requests.
        """
        with self._finished_lock:
            record = self._finished.get(str(task_id).lower())
        if record is not None:
            return dict(record)
        return self.transport.request("GET", "/v2/tasks/%s" % task_id)

    def get_result(self, task_id):
        """The task's return value. Raises TaskPending while it runs, and the task's exception if it failed."""
        record = self.get_task(task_id)
        if record["pending"]:
            raise TaskPending(task_id, record["status"])
        kind, value = self.outcome(record)
        if kind == "exception":
            raise value
        return value

    def get_batch_result(self, task_ids):
        """{task_id: {pending, status, result | exception, completion_t}} for many tasks.

        A failed task's `exception` is the rebuilt exception object (not raised).
        Raises TaskNotFound if any id is unknown (or not yours).
        """
        task_ids = list(task_ids)
        records, missing = {}, []
        for start in range(0, len(task_ids), STATUS_CHUNK):
            answer = self.transport.request("POST", "/v2/batch_status",
                                            {"task_ids": task_ids[start:start + STATUS_CHUNK]}, idempotent=True)
            records.update(answer["results"])
            missing += answer["not_found"]
        if missing:
            raise TaskNotFound(404, "TaskNotFound", "tasks not found: %s" % ", ".join(missing))
        summary = {}
        for task_id in task_ids:
            record = records[task_id.lower()] if task_id.lower() in records else records[task_id]
            entry = {"pending": record["pending"], "status": record["status"],
                     "completion_t": record.get("completion_t")}
            if not record["pending"]:
                kind, value = self.outcome(record)
                entry[kind] = value
            summary[task_id] = entry
        return summary

    def wait_for_tasks(self, task_ids, timeout_s=30, return_when="ALL_COMPLETED"):
        """One long-poll (POST /v3/tasks/wait) for up to 1000 tasks: {done, pending, not_found}."""
        answer = self._wait(task_ids, timeout_s, return_when)
        with self._finished_lock:
            for task_id, record in answer["done"].items():
                self._finished[task_id.lower()] = record
                self._finished.move_to_end(task_id.lower())
            while len(self._finished) > REMEMBERED_FINISHED:
                self._finished.popitem(last=False)
        return answer

    def _wait(self, task_ids, timeout_s, return_when):
        # The executor's waiter calls this directly: it hands each result to its future, so keeping it here too would only cost memory.
        body = {"task_ids": list(task_ids), "timeout_s": timeout_s, "return_when": return_when}
        # The socket must outlast the service's own wait.
        return self.transport.request("POST", "/v3/tasks/wait", body, idempotent=True,
                                      timeout=self.transport.timeout + timeout_s)

    def get_task_output(self, task_id, offset=0, wait_s=0):
        """What the task printed (stdout and stderr together) from byte `offset`.

        {task_id, offset, text, next_offset, dropped, complete}: ask from next_offset next;
        `dropped` counts the bytes the service no longer keeps (it keeps the last 1 MiB);
        `complete` once the task finished and all its output is delivered. With wait_s
        (up to 30), waits that long for output past offset when there is none yet.
        """
        wait_s = max(0, min(OUTPUT_WAIT_MAX_S, wait_s))
        return self.transport.request("GET", "/v3/tasks/%s/output" % task_id, query={"offset": offset, "wait": wait_s},
                                      idempotent=True, timeout=self.transport.timeout + wait_s)

    def follow_output(self, task_id, offset=0, wait_s=20):
        """Yields the task's output as it prints it (each piece a str), until it finished and all is delivered.

            for text in fxc.follow_output(task_id):
                print(text, end="")

        Output the service no longer kept is marked with a line saying how much.
        """
        while True:
            piece = self.get_task_output(task_id, offset=offset, wait_s=wait_s)
            if piece["offset"] > offset:
                yield "[funcx: %d earlier bytes of output were not kept]\n" % (piece["offset"] - offset)
            if piece["text"]:
                yield piece["text"]
            offset = piece["next_offset"]
            if piece["complete"]:
                return

    def cancel_task(self, task_id):
        """Cancels a task that has not finished; returns its record."""
        return self.transport.request("POST", "/v3/tasks/%s/cancel" % task_id, idempotent=False)

    def cancel_tasks(self, task_ids):
        """Cancels several tasks (one request each): {"cancelled": [records], "not_cancelled": [{task_id, code, reason}]}.

        A task that had finished is not_cancelled with code TaskAlreadyFinished (its state in the reason);
        one that is not yours, TaskNotFound.
        """
        cancelled, not_cancelled = [], []
        for task_id in task_ids:
            try:
                cancelled.append(self.cancel_task(task_id))
            except ServiceError as error:
                not_cancelled.append({"task_id": task_id, "code": error.code, "reason": error.reason})
        return {"cancelled": cancelled, "not_cancelled": not_cancelled}

    def cancel_task_group(self, task_group_id):
        """Cancels every unfinished task of a task group: {task_group_id, cancelled: [ids], not_cancelled: [{task_id, status}]}."""
        return self.transport.request("POST", "/v3/task_groups/%s/cancel" % task_group_id, idempotent=False)

    def list_tasks(self, status=None, endpoint_id=None, function_id=None, task_group_id=None, since=None, until=None,
                   cursor=None, limit=None):
        """Your tasks, newest first, one page: {"tasks": [summaries], "next_cursor": str or None}.

        status: one status or a list; since/until: a datetime, an ISO 8601 string, or a duration
        back from now ("30m", "1h", "7d"). Pass next_cursor back as cursor (same filters) for the next page.
        """
        return self.transport.request("GET", "/v3/tasks", query=_task_list_query(
            status, endpoint_id, function_id, task_group_id, since, until, cursor, limit), idempotent=True)

    def list_endpoint_tasks(self, endpoint_id, status=None, since=None, until=None, cursor=None, limit=None):
        """What is queued and running on your endpoint from every user (its owner only), newest first; no payloads."""
        return self.transport.request("GET", "/v3/endpoints/%s/tasks" % endpoint_id, query=_task_list_query(
            status, None, None, None, since, until, cursor, limit), idempotent=True)

    def outcome(self, record):
        """('result', value) or ('exception', exception) for a finished task record."""
        task_id = record.get("task_id")
        if record["status"] == "success":
            serializer = record.get("result_serializer", "json")
            try:
                return "result", decode_result(serializer, record.get("result", "null"))
            except Exception as error:  # noqa: BLE001 - e.g. the result's class is not importable here
                raise FuncXError("the result of task %s cannot be decoded here (%s): %s: %s"
                                 % (task_id, serializer, type(error).__name__, error)) from error
        return "exception", rebuild_exception(record, task_id)

    # -- endpoints ---------------------------------------------------------------------------

    def get_endpoint_status(self, endpoint_id):
        """The endpoint's status: {status, total_workers, outstanding_tasks, ..., logs: [...]}.

        logs holds its recent heartbeats, newest first, each with total_workers
        and outstanding_tasks. An endpoint that never reported yet gets one entry
        made from the current totals, so status['logs'][0] always exists.
        """
        status = self.transport.request("GET", "/v2/endpoints/%s/status" % endpoint_id)
        if not status.get("logs"):
            status["logs"] = [{
                "timestamp": status.get("last_heartbeat_at"),
                "total_workers": status.get("total_workers", 0),
                "idle_workers": status.get("idle_workers", 0),
                "outstanding_tasks": status.get("outstanding_tasks", 0),
                "pending_tasks": status.get("pending_tasks", 0),
            }]
        return status

    def get_endpoint(self, endpoint_id):
        return self.transport.request("GET", "/v3/endpoints/%s" % endpoint_id)

    def list_endpoints(self, role="owner"):
        """Your endpoints (role='owner'), or also those shared with you or public (role='any')."""
        return self.transport.request("GET", "/v3/endpoints", query={"role": role})["endpoints"]


# The longest one output read may wait (task-output-query.json).
OUTPUT_WAIT_MAX_S = 30
def _task_list_query(status, endpoint_id, function_id, task_group_id, since, until, cursor, limit):
    if isinstance(status, (list, tuple)):
        status = ",".join(status)
    query = {"status": status, "endpoint_id": endpoint_id, "function_id": function_id, "task_group_id": task_group_id,
             "since": _time_bound(since), "until": _time_bound(until), "cursor": cursor, "limit": limit}
    return {key: value for key, value in query.items() if value is not None}


def _time_bound(value):
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:  # a naive datetime is taken as UTC, as the service stores times
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.isoformat()


def _fresh_submit():
    # A new key per call: a retry of this request is a replay, yet two identical
    # calls made on purpose still create two tasks.
    return {"idempotent": True, "headers": {"Idempotency-Key": str(uuid.uuid4())}}


def _older(own, minimum):
    """Whether version `own` is older than `minimum`, by their leading numbers; False when either has none."""
    def numbers(version):
        match = re.match(r"v?(\d+(?:\.\d+)*)", version.strip())
        return [int(part) for part in match.group(1).split(".")] if match else None
    left, right = numbers(own), numbers(minimum)
    if left is None or right is None:
        return False
    width = max(len(left), len(right))
    return left + [0] * (width - len(left)) < right + [0] * (width - len(right))
