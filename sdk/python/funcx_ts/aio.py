"""AsyncFuncXClient: FuncXClient for asyncio code, without blocking the event loop.

Each call runs the blocking client call in a worker thread (asyncio.to_thread, the standard
library's own way), so a long-poll or a slow upload never stalls the loop's other tasks:

    fxc = AsyncFuncXClient()
    task_id = await fxc.run(21, endpoint_id=ep, function_id=fn)
    print(await fxc.result(task_id))
    async for text in fxc.follow_output(task_id):
        print(text, end="")

Every public method of FuncXClient is here as a coroutine method of the same name and arguments,
except create_batch (no I/O: it stays a plain method). The executor's futures are awaitable on
their own (`await FuncXExecutor().submit(f)`).
"""
import asyncio
import functools

from .client import FuncXClient

# FuncXClient methods that do no I/O: answered directly.
_NO_IO = frozenset({"create_batch"})


class AsyncFuncXClient:
    def __init__(self, *args, client=None, **kwargs):
        """The same arguments as FuncXClient, or client= an existing FuncXClient to wrap."""
        self.client = client if client is not None else FuncXClient(*args, **kwargs)

    def __repr__(self):
        return "Async%r" % (self.client,)

    def __getattr__(self, name):
        attr = getattr(self.client, name)
        if name.startswith("_") or name in _NO_IO or not callable(attr):
            return attr

        @functools.wraps(attr)
        async def in_thread(*args, **kwargs):
            return await asyncio.to_thread(attr, *args, **kwargs)

        return in_thread

    async def result(self, task_id, timeout_s=None):
        """Waits (long-polls, in a thread) until the task finished; returns its value or raises its exception.

        timeout_s: give up with asyncio.TimeoutError after that long (default: wait as long as it takes).
        """
        async def finished():
            while True:
                answer = await asyncio.to_thread(self.client.wait_for_tasks, [task_id], 20)
                if answer["not_found"] or not answer["pending"]:
                    return await asyncio.to_thread(self.client.get_result, task_id)

        return await asyncio.wait_for(finished(), timeout_s)

    async def follow_output(self, task_id, offset=0, wait_s=20):
        """Yields the task's output as it prints it (str pieces), until it finished and all is delivered."""
        pieces = self.client.follow_output(task_id, offset=offset, wait_s=wait_s)
        done = object()
        while True:
            text = await asyncio.to_thread(next, pieces, done)
            if text is done:
                return
            yield text
