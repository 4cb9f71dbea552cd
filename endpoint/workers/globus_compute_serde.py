"""The upstream Globus Compute / funcX SDKs' wire formats, for python_worker.py.

Written from the protocol, not from their code. Both SDK lines (funcx 1.0,
globus-compute-sdk 2.x) send the same things:

* a payload is ``pack_buffers([args, kwargs])``: each buffer as its length in
  characters, a newline, then the buffer; each buffer starts with a 3-character
  strategy header: ``00\\n`` base64 of a dill pickle, ``11\\n`` JSON text;
* a registered function's ``function_code`` is ``pack_buffers([code])`` where
  code is ``01\\n`` (base64 dill of the function itself), ``02\\n`` (base64
  pickle, legacy), ``03\\n``/``04\\n`` (base64 dill of a (name, source) tuple) or
  ``10\\n`` followed by several of those joined by ':' (``04\\n:b64:01\\n:b64``),
  tried in order;
* a result is one such data buffer (no length prefix): here in the format the
  task's arguments came in (``00`` in, ``00`` out; ``11`` in, ``11`` out).

dill is used when this Python has it (Debian: python3-dill). Without it, what
plain pickle can read still works (JSON data, by-source code, dill pickles of
plain data); the rest fails the task with a message naming what is missing.
"""
import base64
import collections
import json
import linecache
import pickle
import sys

SERIALIZER = "globus-compute"
HEADER_CHARS = 3
DATA_DILL = "00\n"
DATA_JSON = "11\n"
CODE_DILL = "01\n"
CODE_PICKLE = "02\n"
CODE_INSPECT_SOURCE = "03\n"
CODE_DILL_SOURCE = "04\n"
CODE_COMBINED = "10\n"
CACHE_SIZE = 256
USER_MODULE = "__funcx_function__"

_cache = collections.OrderedDict()


class SerdeFailure(Exception):
    """A task failure with its own type name (python_worker reports it like its TaskFailure)."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


def _dill():
    try:
        import dill  # noqa: PLC0415 - optional, and slow to import: only when a task needs it
        return dill
    except ImportError:
        return None


def _python():
    return "%d.%d.%d" % sys.version_info[:3]


def unpack_buffers(packed):
    """The buffers of a pack_buffers string; lengths count characters, as the SDKs' do."""
    buffers = []
    rest = packed
    while rest:
        length, sep, rest = rest.partition("\n")
        if not sep or not length.isdigit() or int(length) > len(rest):
            raise ValueError("not a pack_buffers payload (expected '<length>\\n<buffer>...')")
        buffers.append(rest[:int(length)])
        rest = rest[int(length):]
    return buffers


def _loads(b64, what):
    """Unpickle base64 text with dill, or plain pickle when dill is absent."""
    raw = base64.b64decode(b64)
    dill = _dill()
    if dill is not None:
        return dill.loads(raw)
    try:
        return pickle.loads(raw)
    except Exception as error:  # noqa: BLE001
        raise SerdeFailure("DillNotAvailable",
                           "%s needs dill, which this worker's Python (%s) does not have "
                           "(install python3-dill or `pip install dill`): %s" % (what, _python(), error))


def _dumps_b64(value):
    dill = _dill()
    raw = dill.dumps(value) if dill is not None else pickle.dumps(value)
    return base64.encodebytes(raw).decode("ascii")


# --- data


def decode_data(buffer):
    header, body = buffer[:HEADER_CHARS], buffer[HEADER_CHARS:]
    if header == DATA_JSON:
        return json.loads(body), DATA_JSON
    if header == DATA_DILL:
        return _loads(body, "a dill-serialized argument"), DATA_DILL
    raise ValueError("unknown data serialization header %r (this worker reads 00 and 11)" % header)


def decode_payload(payload):
    """(args, kwargs, data format) of a task's pack_buffers([args, kwargs]) payload."""
    try:
        buffers = unpack_buffers(payload)
        if len(buffers) != 2:
            raise ValueError("expected 2 buffers (args, kwargs), got %d" % len(buffers))
        args, data_format = decode_data(buffers[0])
        kwargs, _ = decode_data(buffers[1])
        if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
            raise ValueError("expected a list of args and a dict of kwargs")
        return tuple(args), dict(kwargs), data_format
    except SerdeFailure:
        raise
    except Exception as error:  # noqa: BLE001 - any decoding problem is the payload's fault
        raise SerdeFailure("TaskPayloadInvalid", "cannot decode the globus-compute payload: %s: %s"
                           % (type(error).__name__, error))


def encode_result(result, data_format):
    """The result as one data buffer, in the format the task's arguments came in."""
    if data_format == DATA_JSON:
        try:
            return DATA_JSON + json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise SerdeFailure("TaskResultNotSerializable",
                               "result of type %s is not JSON-serializable (the task's arguments came as JSON, "
                               "strategy 11): %s" % (type(result).__name__, error))
    try:
        return DATA_DILL + _dumps_b64(result)
    except Exception as error:  # noqa: BLE001
        raise SerdeFailure("TaskResultNotSerializable", "result of type %s cannot be pickled%s: %s"
                           % (type(result).__name__, "" if _dill() else " (dill is not installed)", error))


# --- code


def _from_source(function_id, b64, header):
    name, body = _loads(b64, "by-source code (strategy %s)" % header.strip())
    filename = "<globus-compute function %s>" % function_id
    # Registering the source with linecache puts the user's lines in tracebacks.
    linecache.cache[filename] = (len(body), None, body.splitlines(True), filename)
    namespace = {"__name__": USER_MODULE}
    exec(compile(body, filename, "exec"), namespace)
    if name not in namespace:
        raise ValueError("the function's source defines no %r" % name)
    return namespace[name]


def _by_value(b64, header):
    if header == CODE_PICKLE:
        return pickle.loads(base64.b64decode(b64))
    if _dill() is None:
        raise SerdeFailure("DillNotAvailable",
                           "the function was serialized by value with dill (strategy 01), and this worker's "
                           "Python (%s) has no dill (install python3-dill or `pip install dill`)" % _python())
    try:
        return _dill().loads(base64.b64decode(b64))
    except Exception as error:  # noqa: BLE001
        raise SerdeFailure("FunctionCodeInvalid",
                           "cannot load the function serialized by value (strategy 01): %s: %s; by-value code needs "
                           "the same Python minor version as the SDK that registered it (this worker runs %s), "
                           "or register it by source (strategy 04 or 10)" % (type(error).__name__, error, _python()))


def _one(function_id, header, b64):
    if header in (CODE_INSPECT_SOURCE, CODE_DILL_SOURCE):
        return _from_source(function_id, b64, header)
    if header in (CODE_DILL, CODE_PICKLE):
        return _by_value(b64, header)
    raise ValueError("unknown code serialization header %r (this worker reads 01, 02, 03, 04 and 10)" % header)


def _decode_code(function_id, code):
    header, body = code[:HEADER_CHARS], code[HEADER_CHARS:]
    if header != CODE_COMBINED:
        return _one(function_id, header, body)
    parts = body.split(":")
    problems = []
    # Pairs (header, base64), tried in the order the SDK wrote them: the first that loads wins.
    for strategy, b64 in zip(parts[0::2], parts[1::2]):
        try:
            return _one(function_id, strategy, b64)
        except Exception as error:  # noqa: BLE001
            problems.append("%s: %s" % (strategy.strip(), error))
    raise SerdeFailure("FunctionCodeInvalid", "no strategy in the combined code (10) loads: %s" % "; ".join(problems))


def load_function(function_id, packed_code):
    """The callable of a function registered through the upstream SDKs; returns (fn, cached)."""
    key = (function_id, packed_code)  # the code itself: no hashlib import (see python_worker.load_function)
    fn = _cache.get(key)
    if fn is not None:
        _cache.move_to_end(key)
        return fn, True
    try:
        buffers = unpack_buffers(packed_code)
        if len(buffers) != 1:
            raise ValueError("expected 1 buffer of code, got %d" % len(buffers))
        fn = _decode_code(function_id, buffers[0])
    except SerdeFailure:
        raise
    except Exception as error:  # noqa: BLE001 - user code that fails to load is the function's fault
        raise SerdeFailure("FunctionCodeInvalid", "cannot load the function's globus-compute code: %s: %s"
                           % (type(error).__name__, error))
    if not callable(fn):
        raise SerdeFailure("FunctionCodeInvalid", "the function's code loads to a %s, not a callable" % type(fn).__name__)
    _cache[key] = fn
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return fn, False
