"""funcX-TS Python client (standard library only, Python 3.9+).

    from funcx_ts import FuncXClient
    fxc = FuncXClient()
    func_uuid = fxc.register_function(hello_world)
    task_id = fxc.run(endpoint_id=endpoint_id, function_id=func_uuid)
    fxc.get_result(task_id)
"""
__version__ = "0.2.0"

from .aio import AsyncFuncXClient  # noqa: E402
from .batch import Batch  # noqa: E402
from .client import FuncXClient  # noqa: E402
from .errors import *  # noqa: E402,F401,F403
from .errors import ConfigurationError, FuncXError, RemoteException, ServiceError, TaskPending  # noqa: E402
from .executor import FuncXExecutor, FuncXFuture  # noqa: E402
from .search import SearchResults  # noqa: E402
from .shell import MPIFunction, ShellFunction  # noqa: E402

__all__ = ["FuncXClient", "AsyncFuncXClient", "FuncXExecutor", "FuncXFuture", "Batch", "SearchResults", "ShellFunction", "MPIFunction", "FuncXError",
           "ConfigurationError", "ServiceError", "TaskPending", "RemoteException", "__version__"]
