"""FuncXExecutor: concurrent.futures on a funcX endpoint.

    with FuncXExecutor(endpoint_id=ep) as ex:
        future = ex.submit(pi, 10**5)
        print(future.result())

Two background threads serve every future of an executor (none per future):
the submitter takes whatever calls are queued and sends them in one POST
/v3/submit (calls queued while a submit is in flight go together in the next),
and the waiter long-polls POST /v3/tasks/wait for all outstanding tasks and
resolves futures as their tasks finish. A task submitted while the waiter is
already in a poll joins the next poll, so the poll is kept short (`poll_s`).

An outage does not fail the futures: tasks are durable on the service, so
while it is unreachable or answers 429/5xx the waiter keeps every future
pending, logs a warning (logger "funcx.executor") and asks again after a
backoff with jitter (`outage_backoff_s`: first and longest wait). Only a
permanent refusal (401, 403, 404...) fails the futures it concerns.

Every task joins the executor's task group (`task_group_id`, new unless
given). A process that died mid-run is replaced by one that makes an executor
with the same task_group_id and calls reload_tasks(): a future for every task
of the group, finished ones resolved at once, the rest as they finish.

At interpreter exit, calls still queued are not lost: as concurrent.futures'
ThreadPoolExecutor does, an exit hook (threading._register_atexit on Python
3.9+, else atexit) makes every live executor send what is queued and joins
its submitter. It does not wait for results: the tasks run on the endpoint,
and their ids (future.task_id) can be looked up later.
"""
import atexit
import collections
import concurrent.futures
import logging
import random
import threading
import uuid
import weakref

from .client import STATUS_CHUNK, SUBMIT_CHUNK, FuncXClient

# Tasks per GET /v2/taskgroup page when reattaching.
GROUP_PAGE = 10000
from .errors import FuncXError, ServiceError, ServiceUnreachable, TaskNotFound
from .serialization import check_serializer, encode_payload
from .shell import ShellFunction


log = logging.getLogger("funcx_ts.executor")

# Every executor, for the exit hook; weakly held (a submitter thread still running keeps its executor alive).
_live_executors = weakref.WeakSet()


def _flush_at_exit():
    for executor in list(_live_executors):
        executor._flush_queued()


# threading's hook runs before daemon threads stop (atexit's would run too late on 3.9+, as for ThreadPoolExecutor).
if hasattr(threading, "_register_atexit"):
    threading._register_atexit(_flush_at_exit)
else:  # pragma: no cover - Python < 3.9
    atexit.register(_flush_at_exit)


def is_transient(error):
    """An error that passes: the service unreachable, overloaded (429) or failing on its side (5xx)."""
    if isinstance(error, ServiceUnreachable):
        return True
    return isinstance(error, ServiceError) and isinstance(error.http_status, int) and \
        (error.http_status == 429 or error.http_status >= 500)


class FuncXFuture(concurrent.futures.Future):
    """A Future whose task_id is set once the call has been submitted to the service.

    Also awaitable in asyncio (`await fut`, `asyncio.gather(*futs)`): awaiting wraps it in an
    asyncio future of the running loop, which the executor's thread resolves thread-safely.

    cancel() works after the call was sent too: its task is cancelled at the service (False if
    it had finished). cancelled() is True for a task cancelled anywhere (funcx task cancel too).
    """

    def __init__(self, client=None):
        super().__init__()
        self.task_id = None
        self._client = client

    def cancel(self):
        if super().cancel():  # not sent yet: it never will be
            return True
        if self.done() or self.task_id is None or self._client is None:
            return False
        try:
            self._client.cancel_task(self.task_id)
        except FuncXError:
            return False  # it finished meanwhile (TaskAlreadyFinished): the waiter delivers its result
        return self._set_cancelled()

    def _set_cancelled(self):
        """Cancelled at the service while it ran. concurrent.futures cancels only a future that has not
        started, so these are Future.cancel's own steps, done for a running one."""
        with self._condition:
            if self._state in (concurrent.futures._base.FINISHED, concurrent.futures._base.CANCELLED_AND_NOTIFIED):
                return self._state == concurrent.futures._base.CANCELLED_AND_NOTIFIED
            self._state = concurrent.futures._base.CANCELLED_AND_NOTIFIED
            for waiter in self._waiters:
                waiter.add_cancelled(self)
            self._condition.notify_all()
        self._invoke_callbacks()
        return True

    def __await__(self):
        import asyncio  # only those who await pay for it
        return asyncio.wrap_future(self).__await__()


class _Call:
    __slots__ = ("future", "function_id", "payload", "serializer", "resource_specification")

    def __init__(self, future, function_id, payload, serializer, resource_specification=None):
        self.future, self.function_id, self.payload = future, function_id, payload
        self.serializer, self.resource_specification = serializer, resource_specification


class FuncXExecutor(concurrent.futures.Executor):
    def __init__(self, endpoint_id=None, client=None, serializer=None, poll_s=2.0, outage_backoff_s=(1.0, 30.0),
                 resource_specification=None, task_group_id=None):
        self.client = client or FuncXClient()
        # Every task submitted joins this group; an earlier executor's id reattaches (reload_tasks).
        self.task_group_id = str(task_group_id or uuid.uuid4()).lower()
        # Nodes and MPI ranks for calls submitted from now on (MPIFunction calls need one); settable.
        self.resource_specification = resource_specification
        self.endpoint_id = endpoint_id or self.client.default_endpoint_id
        if not self.endpoint_id:
            raise ValueError("FuncXExecutor needs endpoint_id=")
        self.serializer = check_serializer(serializer or self.client.serializer)
        self.poll_s = poll_s
        self.outage_backoff_s = outage_backoff_s
        self._outage_failures = 0  # consecutive transient failures of the waiter
        self._function_ids = {}
        self._register_lock = threading.Lock()
        self._lock = threading.Condition()
        self._queue = collections.deque()
        self._outstanding = {}  # task_id -> future
        self._shutdown = False
        self._submitter_done = False
        self._cancelling = False  # shutdown(cancel_futures=True): cancel tasks that were being submitted too
        self._submitter = threading.Thread(target=self._submit_loop, name="funcx-executor-submit", daemon=True)
        self._waiter = threading.Thread(target=self._wait_loop, name="funcx-executor-wait", daemon=True)
        self._submitter.start()
        self._waiter.start()
        _live_executors.add(self)

    # -- the Executor API --------------------------------------------------------------------

    def submit(self, fn, /, *args, **kwargs):
        """Runs fn(*args, **kwargs) on the endpoint; fn is registered on first use."""
        # Shell and MPI templates are formatted from JSON values on the endpoint: they take json only.
        serializer = "json" if isinstance(fn, ShellFunction) else None
        return self.submit_to_registered_function(self.register_function(fn), args, kwargs, serializer=serializer)

    def register_function(self, fn):
        """The function id for fn, registering it the first time this executor sees it."""
        with self._register_lock:
            function_id = self._function_ids.get(fn)
            if function_id is None:
                function_id = self._function_ids[fn] = self.client.register_function(fn)
            return function_id

    def submit_to_registered_function(self, function_id, args=(), kwargs=None, serializer=None):
        """A future for function_id(*args, **kwargs), for a function registered before."""
        # Encoding now surfaces a bad argument (json serializer) in the caller's thread.
        spec = dict(self.resource_specification) if self.resource_specification else None
        serializer = check_serializer(serializer or self.serializer)
        call = _Call(FuncXFuture(self.client), str(function_id), encode_payload(serializer, args, kwargs or {}), serializer, spec)
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
            self._queue.append(call)
            self._lock.notify_all()
        return call.future

    def reload_tasks(self):
        """Reattaches to the task group: a future for every task in it, in submission order.

        Finished tasks' futures are resolved at once (result or exception), the
        others as their tasks finish; a task this executor already tracks keeps
        its future. As Globus Compute's Executor.reload_tasks, through GET
        /v2/taskgroup/{id} and POST /v2/batch_status in chunks.
        """
        task_ids = []
        offset = 0
        while True:
            page = self.client.transport.request("GET", "/v2/taskgroup/%s" % self.task_group_id,
                                                 query={"offset": offset, "limit": GROUP_PAGE})
            task_ids += [task["id"] for task in page["tasks"]]
            if len(page["tasks"]) < GROUP_PAGE:
                break
            offset += GROUP_PAGE
        with self._lock:
            known = {task_id: self._outstanding[task_id] for task_id in task_ids if task_id in self._outstanding}
        records = {}
        unknown = [task_id for task_id in task_ids if task_id not in known]
        for start in range(0, len(unknown), STATUS_CHUNK):
            answer = self.client.transport.request("POST", "/v2/batch_status",
                                                   {"task_ids": unknown[start:start + STATUS_CHUNK]}, idempotent=True)
            records.update(answer["results"])
        futures, pending = [], {}
        for task_id in task_ids:
            future = known.get(task_id)
            if future is None:
                future = FuncXFuture()
                future.task_id = task_id
                future.set_running_or_notify_cancel()
                record = records.get(task_id)
                if record is None:
                    future.set_exception(TaskNotFound(404, "TaskNotFound", "task %s not found" % task_id))
                elif record["pending"]:
                    pending[task_id] = future
                else:
                    self._settle(future, record)
            futures.append(future)
        with self._lock:
            if pending and self._finished_submitting():
                raise RuntimeError("cannot reload tasks after shutdown")
            self._outstanding.update(pending)
            self._lock.notify_all()
        return futures

    def _settle(self, future, record):
        if record.get("status") == "cancelled":
            future._set_cancelled()  # by future.cancel(), shutdown(cancel_futures=True), or anyone else
            return
        try:
            kind, value = self.client.outcome(record)
        except FuncXError as error:
            kind, value = "exception", error
        if kind == "result":
            future.set_result(value)
        else:
            future.set_exception(value)

    def shutdown(self, wait=True, *, cancel_futures=False):
        """No more submits; with wait, returns once every future is done.

        cancel_futures cancels the calls not sent yet and the unfinished tasks at the
        service: their futures are cancelled (unless they finished first).
        """
        # Not dropped from _live_executors: after shutdown(wait=False) its submitter may still be sending.
        with self._lock:
            self._shutdown = True
            self._cancelling = self._cancelling or cancel_futures
            queued = list(self._queue) if cancel_futures else []
            if cancel_futures:
                self._queue.clear()
            running = list(self._outstanding.items()) if cancel_futures else []
            self._lock.notify_all()
        for call in queued:
            call.future.cancel()
        self._cancel_tasks(task_id for task_id, _ in running)
        if wait:
            self._submitter.join()
            self._waiter.join()

    def _flush_queued(self):
        """At exit: no more submits; the submitter sends what is queued, then ends (joined here)."""
        with self._lock:
            self._shutdown = True
            self._lock.notify_all()
        self._submitter.join()

    # -- the submitter thread ----------------------------------------------------------------

    def _submit_loop(self):
        while True:
            with self._lock:
                while not self._queue and not self._shutdown:
                    self._lock.wait()
                if not self._queue:
                    self._submitter_done = True
                    self._lock.notify_all()
                    return
                calls = [self._queue.popleft() for _ in range(min(len(self._queue), SUBMIT_CHUNK))]
            # A future cancelled by the user before it was sent is not sent.
            calls = [c for c in calls if c.future.set_running_or_notify_cancel()]
            self._send(calls)

    def _send(self, calls):
        submitted = []
        try:
            if calls:
                items = [dict({"endpoint_id": self.endpoint_id, "function_id": c.function_id,
                               "payload": c.payload, "serializer": c.serializer},
                              **({"resource_specification": c.resource_specification} if c.resource_specification else {}))
                         for c in calls]
                submitted = self.client.submit_tasks(items, task_group_id=self.task_group_id)
        except BaseException as error:  # noqa: BLE001 - the submit's failure is every call's failure
            for call in calls:
                call.future.set_exception(error)
            calls = []
        with self._lock:
            for call, task in zip(calls, submitted):
                call.future.task_id = task["task_id"]
                self._outstanding[task["task_id"]] = call.future
            cancel = self._cancelling
            self._lock.notify_all()
        if cancel:  # shutdown(cancel_futures=True) came while these were on their way
            self._cancel_tasks(task["task_id"] for task in submitted)

    def _cancel_tasks(self, task_ids):
        for task_id in task_ids:
            try:
                self.client.cancel_task(task_id)
            except FuncXError:
                pass  # it finished meanwhile (TaskAlreadyFinished): the waiter delivers its result

    # -- the waiter thread -------------------------------------------------------------------

    def _wait_loop(self):
        while True:
            with self._lock:
                while not self._outstanding and not self._finished_submitting():
                    self._lock.wait()
                if not self._outstanding:
                    return
                task_ids = list(self._outstanding)[:STATUS_CHUNK]
            try:
                answer = self.client._wait(task_ids, self.poll_s, "FIRST_COMPLETED")
            except Exception as error:  # noqa: BLE001 - a dead waiter would leave futures hanging forever
                if is_transient(error):
                    self._back_off(error)
                else:
                    # A permanent refusal: these futures cannot learn their results.
                    self._resolve_failed(task_ids, error)
                continue
            if self._outage_failures:
                log.warning("the funcX service answers again; waiting for results resumed")
                self._outage_failures = 0
            self._resolve(answer)

    def _back_off(self, error):
        """One step of the outage backoff: doubling from the first wait up to the longest, with jitter."""
        first, longest = self.outage_backoff_s
        ceiling = min(first * 2 ** self._outage_failures, longest)
        delay = random.uniform(ceiling / 2, ceiling)  # many clients back from an outage do not arrive together
        self._outage_failures += 1
        log.warning("cannot get results from the funcX service (%s); %d future(s) stay pending, trying again in %.1fs",
                    error, len(self._outstanding), delay)
        with self._lock:
            # The whole delay (new submissions do not cut it short), unless shutdown(cancel_futures=True) comes.
            self._lock.wait_for(lambda: self._cancelling, delay)

    def _finished_submitting(self):
        return self._submitter_done

    def _resolve(self, answer):
        with self._lock:
            done = {task_id: self._outstanding.pop(task_id, None) for task_id in answer["done"]}
            missing = {task_id: self._outstanding.pop(task_id, None) for task_id in answer["not_found"]}
        for task_id, future in done.items():
            if future is not None:
                self._settle(future, answer["done"][task_id])
        for task_id, future in missing.items():
            if future is not None:
                future.set_exception(TaskNotFound(404, "TaskNotFound", "task %s not found" % task_id))

    def _resolve_failed(self, task_ids, error):
        with self._lock:
            futures = [self._outstanding.pop(task_id, None) for task_id in task_ids]
        for future in futures:
            if future is not None:
                future.set_exception(error)
