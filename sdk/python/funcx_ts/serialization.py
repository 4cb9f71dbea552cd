"""Arguments and results as the endpoint's Python worker reads and writes them.

  pickle: payload = base64(pickle.dumps((args, kwargs))), result = base64(pickle.dumps(value))
  json:   payload = json.dumps({"args": [...], "kwargs": {...}}), result = json.dumps(value)

(endpoint/workers/python_worker.py and docs/api.md "Payloads and results".)
pickle round-trips Python objects (a datetime.date comes back a datetime.date);
json is readable by any runtime and by the service, but carries only JSON values.
"""
import base64
import json
import pickle

SERIALIZERS = ("pickle", "json")
# Protocol 4 is read by every Python 3.4+, so a client on a newer Python than the
# endpoint's still sends payloads the endpoint can read.
PICKLE_PROTOCOL = 4


def check_serializer(name):
    if name not in SERIALIZERS:
        raise ValueError("serializer must be one of %s, not %r" % (", ".join(SERIALIZERS), name))
    return name


def encode_payload(serializer, args, kwargs):
    if serializer == "pickle":
        return base64.b64encode(pickle.dumps((tuple(args), dict(kwargs)), protocol=PICKLE_PROTOCOL)).decode("ascii")
    try:
        return json.dumps({"args": list(args), "kwargs": dict(kwargs)}, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError("arguments are not JSON-serializable (%s); use serializer='pickle'" % error) from None


def decode_result(serializer, text):
    if serializer == "pickle":
        return pickle.loads(base64.b64decode(text))
    return json.loads(text)
