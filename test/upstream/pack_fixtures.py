"""Packs a function and its arguments with the real upstream serializer (globus-compute-sdk 2.34.0),
for test/workers/python.globus-compute.test.ts. `pack` prints JSON {code: {strategy: packed}, payload:
{strategy: packed}}; `unpack` reads a result buffer on stdin and prints repr() and the type's name."""
import json
import sys

from globus_compute_sdk.serialize import ComputeSerializer
from globus_compute_sdk.serialize.concretes import (
    CombinedCode, DillCode, DillCodeSource, DillCodeTextInspect, DillDataBase64, JSONData,
)


def triple(x, times=3):
    import datetime
    return {"value": x * times, "when": datetime.date(2026, 11, 30)} if x == "date" else x * times


def fails(x):
    raise ValueError("bad %s" % x)


if sys.argv[1] == "pack":
    codes = {s.identifier.strip(): s for s in (DillCode(), DillCodeTextInspect(), DillCodeSource(), CombinedCode())}
    out = {"code": {}, "fails": {}, "payload": {}, "date_payload": {}}
    for name, strategy in codes.items():
        serde = ComputeSerializer(strategy_code=strategy)
        out["code"][name] = serde.pack_buffers([serde.serialize(triple)])
        out["fails"][name] = serde.pack_buffers([serde.serialize(fails)])
    for strategy in (DillDataBase64(), JSONData()):
        serde = ComputeSerializer(strategy_data=strategy)
        name = strategy.identifier.strip()
        out["payload"][name] = serde.pack_buffers([serde.serialize((7,)), serde.serialize({"times": 2})])
        out["date_payload"][name] = serde.pack_buffers([serde.serialize(("date",)), serde.serialize({})])
    print(json.dumps(out))
else:
    value = ComputeSerializer().deserialize(sys.stdin.read())
    print(json.dumps({"repr": repr(value), "type": type(value).__name__}))
