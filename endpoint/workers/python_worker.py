"""A long-lived funcX-TS Python worker (standard library only, Python 3.9+).

Protocol: the agent writes one JSON request per line on fd 3 and reads one JSON
message per line on fd 4. stdout and stderr are left to the user's code (the
agent logs them), which is why the protocol never touches them. The first
message is {"type": "ready"}; then each request gets exactly one reply. A
request with "stream_output": true (live output) has sys.stdout and sys.stderr
sent as {"type": "output", "task_id", "text"} messages while the call runs,
all before its reply (OutputToAgent).

A request: {"task_id", "function_id", "source", "entry_point", "payload",
"serializer"}. A reply: {"type": "reply", "task_id", "status": "success" |
"failed", "result"?, "exception"?, "cached"}; `cached` says whether the
function came from this worker's cache (a warm call compiles nothing).

SystemExit is deliberately not caught: a function that exits the worker ends
it, and the agent reports the task as WorkerLost and starts a fresh worker.
"""
import base64
import collections
import json
import linecache
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback

import globus_compute_serde  # the upstream SDKs' formats; found beside this file (sys.path[0] until main())

REQUESTS_FD = 3
REPLIES_FD = 4
# Compiled functions kept per worker; old ones are dropped first.
CACHE_SIZE = 256
# The module name user source runs as (shows in qualified exception type names).
USER_MODULE = "__funcx_function__"
# Exception type names are capped by the results schema (schemas/endpoint-results.json).
TYPE_MAX_CHARS = 256
# How often the watchdog thread checks that the agent is still our parent.
PARENT_POLL_SECONDS = 0.5


class TaskFailure(Exception):
    """A failure the worker reports with its own type name (not the user's exception)."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


class _Unserializable(Exception):
    def __init__(self, value):
        super().__init__()
        self.value = value


_cache = collections.OrderedDict()


def type_name(cls):
    """'ValueError' for builtins, 'module.Qualified' for everything else (user-defined, so capped)."""
    module = getattr(cls, "__module__", None)
    qualname = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "?")
    name = qualname if module in (None, "builtins") else "%s.%s" % (module, qualname)
    return str(name)[:TYPE_MAX_CHARS]


def safe_str(value):
    """str(value), or a note when the user's __str__ itself fails."""
    try:
        return str(value)
    except BaseException as error:  # noqa: BLE001
        return "<%s whose str() raised %s>" % (type_name(type(value)), type_name(type(error)))


def load_function(function_id, source, entry_point):
    """The callable for this function, from the cache when warm; returns (fn, cached)."""
    # The source itself is the key (linecache keeps it anyway): no hashlib, whose OpenSSL
    # import alone is ~3.5 MiB of every worker's resident memory.
    key = (function_id, source, entry_point)
    fn = _cache.get(key)
    if fn is not None:
        _cache.move_to_end(key)
        return fn, True
    filename = "<funcx function %s>" % function_id
    # Registering the source with linecache puts the user's lines in tracebacks.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": USER_MODULE}
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:
        raise TaskFailure("FunctionSourceInvalid", "the function's source does not compile: %s" % error)
    exec(code, namespace)
    fn = pick_entry_point(namespace, entry_point)
    _cache[key] = fn
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return fn, False


def pick_entry_point(namespace, entry_point):
    if entry_point:
        fn = namespace.get(entry_point)
        if fn is None:
            raise TaskFailure("EntryPointNotFound", "the function's source defines no %r" % entry_point)
        if not callable(fn):
            raise TaskFailure("EntryPointNotFound", "%r in the function's source is not callable" % entry_point)
        return fn
    # No entry point: accept a source that defines exactly one function.
    defined = [v for k, v in namespace.items() if callable(v) and not k.startswith("__")
               and getattr(v, "__module__", None) == USER_MODULE]
    if len(defined) != 1:
        raise TaskFailure("EntryPointNotFound",
                          "no entry point given and the source defines %d functions" % len(defined))
    return defined[0]


def decode_payload(serializer, payload):
    try:
        if serializer == "pickle":
            args, kwargs = pickle.loads(base64.b64decode(payload))
        else:
            data = json.loads(payload) if payload else {}
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object {\"args\": [...], \"kwargs\": {...}}")
            args, kwargs = data.get("args", []), data.get("kwargs", {})
        return tuple(args), dict(kwargs)
    except Exception as error:  # noqa: BLE001 - any decoding problem is the payload's fault
        raise TaskFailure("TaskPayloadInvalid", "cannot decode the %s payload: %s: %s"
                          % (serializer, type_name(type(error)), error))


def encode_result(serializer, result):
    if serializer == "pickle":
        try:
            return base64.b64encode(pickle.dumps(result)).decode("ascii")
        except Exception as error:  # noqa: BLE001
            raise TaskFailure("TaskResultNotSerializable", "result of type %s cannot be pickled: %s"
                              % (type_name(type(result)), error))

    def refuse(value):
        raise _Unserializable(value)

    try:
        return json.dumps(result, default=refuse, allow_nan=False)
    except _Unserializable as error:
        raise TaskFailure("TaskResultNotSerializable",
                          "result of type %s is not JSON-serializable; use the pickle serializer"
                          % type_name(type(error.value)))
    except (ValueError, TypeError) as error:
        # NaN/Infinity, or dict keys JSON cannot carry.
        raise TaskFailure("TaskResultNotSerializable",
                          "result of type %s is not JSON-serializable (%s); use the pickle serializer"
                          % (type_name(type(result)), error))


def user_traceback(error):
    """The formatted traceback without this worker's own frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    try:
        return "".join(traceback.format_exception(type(error), error, tb))
    except BaseException:  # noqa: BLE001 - the user's exception may not format; the type still says what happened
        return ""


def describe_exception(error, serializer):
    exception = {
        "type": type_name(type(error)),
        "message": safe_str(error),
        "traceback": user_traceback(error),
    }
    if serializer == "pickle":
        try:
            exception["serialized"] = base64.b64encode(pickle.dumps(error)).decode("ascii")
        except Exception:  # noqa: BLE001 - best effort: some exceptions cannot be pickled
            pass
    return exception


def call_with_env(fn, args, kwargs, env):
    """Calls fn with these variables in os.environ (an MPI task's PARSL_MPI_PREFIX), then restores them."""
    if not env:
        return fn(*args, **kwargs)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return fn(*args, **kwargs)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class OutputToAgent:
    """sys.stdout / sys.stderr while a call streams its output (live output).

    What the call prints goes to the agent as {"type": "output"} messages on the
    reply pipe, so it always arrives before the call's reply. Text is held until
    a line ends and OUTPUT_FLUSH_SECONDS passed since the last message, or
    OUTPUT_MESSAGE_CHARS are held (a flood becomes few large messages, never an
    unbounded buffer); a daemon thread, started by the call's first write, sends
    what a quiet call left held (a call that prints nothing starts no thread: a
    thread's start and join cost more than a no-op task's whole run).
    Subprocesses the call starts write to the real fds, which the agent logs.
    """

    def __init__(self, send, task_id, shared, real):
        self._send = send
        self._task_id = task_id
        self._shared = shared  # {"lock", "held": [], "chars", "last", "start"} shared by stdout and stderr, so order is kept
        self._real = real  # the stream it stands for: its fd is what subprocesses inherit (fileno)
        self.buffer = _BytesToText(self)

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        shared = self._shared
        with shared["lock"]:
            if shared["start"] is not None:
                shared["start"]()
                shared["start"] = None
            shared["held"].append(text)
            shared["chars"] += len(text)
            due = "\n" in text and time.monotonic() - shared["last"] >= OUTPUT_FLUSH_SECONDS
            if due or shared["chars"] >= OUTPUT_MESSAGE_CHARS:
                self._flush_locked()
        return len(text)

    def _flush_locked(self):
        shared = self._shared
        if not shared["held"]:
            return
        text = "".join(shared["held"])
        shared["held"] = []
        shared["chars"] = 0
        shared["last"] = time.monotonic()
        for start in range(0, len(text), OUTPUT_MESSAGE_CHARS):
            self._send({"type": "output", "task_id": self._task_id, "text": text[start:start + OUTPUT_MESSAGE_CHARS]})

    def flush(self):
        with self._shared["lock"]:
            self._flush_locked()

    def isatty(self):
        return False

    def fileno(self):
        # subprocess.run(stdout=sys.stdout) and faulthandler want a descriptor: the real one (the log).
        return self._real.fileno()

    def writable(self):
        return True

    @property
    def encoding(self):
        return "utf-8"


class _BytesToText:
    """sys.stdout.buffer while streaming: bytes written there join the text stream."""

    def __init__(self, text_stream):
        self._text = text_stream

    def write(self, data):
        self._text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self):
        self._text.flush()


# Live output: at most one output message per this long while lines come, and at most this many characters in one.
OUTPUT_FLUSH_SECONDS = 0.2
OUTPUT_MESSAGE_CHARS = 64 * 1024


def streaming_output(send, request):
    """Points sys.stdout and sys.stderr at the agent for this call; returns the way back."""
    shared = {"lock": threading.Lock(), "held": [], "chars": 0, "last": 0.0, "start": None}
    stdout, stderr = sys.stdout, sys.stderr
    stdout.flush()
    stderr.flush()
    sys.stdout = OutputToAgent(send, request.get("task_id"), shared, stdout)
    sys.stderr = OutputToAgent(send, request.get("task_id"), shared, stderr)
    sink = sys.stdout  # both share one buffer: flushing one sends what both hold
    stop = threading.Event()

    def flusher():
        while not stop.wait(OUTPUT_FLUSH_SECONDS):
            sink.flush()

    started = []

    def start_flusher():
        thread = threading.Thread(target=flusher, name="funcx-output-flusher", daemon=True)
        thread.start()
        started.append(thread)

    shared["start"] = start_flusher

    def restore():
        stop.set()
        for thread in started:
            thread.join()
        sink.flush()
        sys.stdout, sys.stderr = stdout, stderr

    return restore


def run_task(request):
    serializer = request.get("serializer", "json")
    upstream = serializer == globus_compute_serde.SERIALIZER
    cached = False
    try:
        if request.get("code_serializer") == globus_compute_serde.SERIALIZER:
            fn, cached = globus_compute_serde.load_function(request["function_id"], request["source"])
        else:
            fn, cached = load_function(request["function_id"], request["source"], request.get("entry_point"))
        if upstream:
            args, kwargs, data_format = globus_compute_serde.decode_payload(request.get("payload", ""))
        else:
            args, kwargs = decode_payload(serializer, request.get("payload", ""))
        result = call_with_env(fn, args, kwargs, request.get("env"))
        encoded = globus_compute_serde.encode_result(result, data_format) if upstream else encode_result(serializer, result)
        return {"status": "success", "result": encoded, "cached": cached}
    except SystemExit:
        raise
    except (TaskFailure, globus_compute_serde.SerdeFailure) as failure:
        return {"status": "failed", "cached": cached,
                "exception": {"type": failure.type_name, "message": str(failure)}}
    except BaseException as error:  # noqa: BLE001 - KeyboardInterrupt from user code is the user's failure
        return {"status": "failed", "cached": cached, "exception": describe_exception(error, serializer)}


def watch_parent():
    """End this worker's whole group once the agent that started it is gone.

    The agent's death (even by SIGKILL) closes the request pipe, but the main
    thread only sees that between tasks; a running function would go on in
    parallel with the ledger's retry. Our parent pid changes when the agent
    dies, and a daemon thread sees that while a function runs.
    """
    parent = os.getppid()

    def poll():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        if os.getpgid(0) == os.getpid():  # we lead our group (spawned detached): take what we started too
            os.killpg(0, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=poll, name="funcx-parent-watchdog", daemon=True).start()


def request_lines(requests):
    """The request lines, one per task.

    In a container (FUNCX_WORKER_IN_CONTAINER=1) there is no parent to watch: the
    agent is outside, behind the engine's client. A dead agent closes our stdin
    (the requests) instead, so a thread reads them and ends the worker at EOF at
    once, even while a task runs (else the container would run it on, beside the
    ledger's retry, until it ends).
    """
    if os.environ.get("FUNCX_WORKER_IN_CONTAINER") != "1":
        return requests
    lines = queue.Queue()

    def pump():
        for line in requests:
            lines.put(line)
        os._exit(0)  # we are the container's PID 1: a signal to ourselves would be ignored

    threading.Thread(target=pump, name="funcx-request-reader", daemon=True).start()
    return iter(lines.get, None)


def main():
    watch_parent()
    # Running as a script put this folder first on sys.path; user imports must not resolve here.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    # Subprocesses the user's code starts must not hold the protocol pipes open.
    os.set_inheritable(REQUESTS_FD, False)
    os.set_inheritable(REPLIES_FD, False)
    requests = os.fdopen(REQUESTS_FD, "rb")
    replies = os.fdopen(REPLIES_FD, "wb")

    sending = threading.Lock()  # the output flusher thread sends too

    def send(message):
        line = json.dumps(message).encode("utf-8") + b"\n"
        with sending:
            replies.write(line)
            replies.flush()

    send({"type": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
    for line in request_lines(requests):
        if not line.strip():
            continue
        request = json.loads(line)
        restore_output = streaming_output(send, request) if request.get("stream_output") else None
        try:
            reply = run_task(request)
        except SystemExit:
            raise
        except BaseException as error:  # noqa: BLE001 - every request gets exactly one reply
            reply = {"status": "failed", "cached": False,
                     "exception": {"type": "WorkerError",
                                   "message": "the worker could not report the task's outcome: %s" % safe_str(error)}}
        if restore_output:
            restore_output()
        reply["type"] = "reply"
        reply["task_id"] = request.get("task_id")
        sys.stdout.flush()
        sys.stderr.flush()
        send(reply)
    # EOF on fd 3: the agent is gone or stopping us.


if __name__ == "__main__":
    main()
