"""What this client runs on, sent with every submit as `user_runtime`.

As Globus Compute's SDKs send it (schemas/user-runtime.json): the Python and
platform details in the same fields, and `sdk` naming this client. The
endpoint gets it with each task; a multi-user config template can read it.
"""
import platform
import sys

from . import __version__

_cached = None


def user_runtime():
    global _cached
    if _cached is None:
        _cached = {
            "sdk": {"name": "funcx_ts", "version": __version__},
            "python_version": sys.version,
            "python": {
                "version": platform.python_version(),
                "version_description": sys.version,
                "version_tuple": list(sys.version_info[:3]),
                "version_info": list(sys.version_info),
                "implementation": platform.python_implementation(),
                "compiler": platform.python_compiler(),
            },
            "platform": {
                "architecture": list(platform.architecture()),
                "machine": platform.machine(),
                "node": platform.node(),
                "platform": platform.platform(),
                "processor": platform.processor(),
                "release": platform.release(),
            },
        }
    return _cached
