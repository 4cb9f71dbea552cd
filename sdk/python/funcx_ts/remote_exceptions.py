"""Turning a failed task's exception record back into a Python exception.

The endpoint reports {type, message, traceback?, serialized?}; `serialized`
(pickle serializer only) is the exception object itself. In order of preference
the client raises: the unpickled original; else the class named by `type` when
it is a builtin or importable here, built from the message; else
RemoteException, which keeps the type name. The worker's traceback is chained
as __cause__ (a RemoteTraceback), so an uncaught error prints both, and it is
also kept as `remote_traceback` on the exception.
"""
import base64
import builtins
import importlib
import pickle

from .errors import RemoteException, RemoteTraceback


def rebuild_exception(record, task_id=None):
    exception = record.get("exception") or {}
    type_name = exception.get("type") or "UnknownError"
    message = exception.get("message") or ""
    traceback_text = exception.get("traceback")
    error = (_unpickled(exception.get("serialized"))
             or _by_name(type_name, message)
             or RemoteException(type_name, message, traceback_text, task_id=task_id))
    try:
        error.remote_traceback = traceback_text
        error.task_id = task_id
    except AttributeError:  # an exception class with __slots__: keep it as is
        pass
    if traceback_text:
        error.__cause__ = RemoteTraceback(traceback_text)
    return error


def _unpickled(serialized):
    if not serialized:
        return None
    try:
        value = pickle.loads(base64.b64decode(serialized))
    except Exception:  # noqa: BLE001 - e.g. the class lives only on the endpoint: fall back to the name
        return None
    return value if isinstance(value, Exception) else None


def _by_name(type_name, message):
    cls = _find_class(type_name)
    # Only Exception subclasses: re-raising a remote KeyboardInterrupt or SystemExit here
    # would stop the caller's program, so those come back as RemoteException.
    if cls is None or not issubclass(cls, Exception):
        return None
    try:
        return cls(message)
    except Exception:  # noqa: BLE001 - its constructor wants other arguments
        return None


def _find_class(type_name):
    if "." not in type_name:
        cls = getattr(builtins, type_name, None)
        return cls if isinstance(cls, type) else None
    # Walk back for nested classes: 'pkg.mod.Outer.Inner'.
    parts = type_name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name, qualname = ".".join(parts[:split]), parts[split:]
        try:
            value = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001 - not importable here (ImportError, or it fails to import)
            continue
        for name in qualname:
            value = getattr(value, name, None)
        return value if isinstance(value, type) else None
    return None
