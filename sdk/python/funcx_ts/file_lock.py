"""A lock across processes on one file, for renewing a stored login.

The same protocol as the TypeScript SDK's sdk/fileLock.ts, so a Python and a Node process
sharing credentials.json keep out of each other's way: the lock is `FILE.lock`, created
exclusively, holding "pid hostname". A lock whose holder is a dead pid on this host, or that
is older than two minutes, is broken; waiting is bounded (then the lock is taken anyway: a
renewal takes seconds, a lock held for a minute was abandoned).
"""
import contextlib
import errno
import os
import random
import socket
import time

STALE_S = 120.0


@contextlib.contextmanager
def file_lock(path, timeout=60.0):
    lock = path + ".lock"
    me = "%d %s" % (os.getpid(), socket.gethostname())
    deadline = time.monotonic() + timeout
    wait = 0.01
    while not _try_create(lock, me):
        holder = _read(lock)
        if _is_stale(lock, holder) or time.monotonic() > deadline:
            _break(lock, holder)
        else:
            time.sleep(wait * (0.5 + random.random()))
            wait = min(wait * 2, 0.2)
    try:
        yield
    finally:
        # Only our own lock: if it was broken and retaken meanwhile, it is someone else's now.
        if _read(lock) == me:
            with contextlib.suppress(OSError):
                os.unlink(lock)


def _try_create(lock, me):
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        if error.errno == errno.EEXIST:
            return False
        raise
    try:
        os.write(fd, me.encode())
    finally:
        os.close(fd)
    return True


def _read(lock):
    try:
        with open(lock, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def _is_stale(lock, holder):
    try:
        age = time.time() - os.stat(lock).st_mtime
    except OSError:
        return False  # gone: the next attempt creates it
    if age > STALE_S:
        return True
    parts = (holder or "").split(" ")
    # Only a holder on this host can be checked; an empty file is a holder still writing its name.
    if len(parts) != 2 or parts[1] != socket.gethostname():
        return False
    try:
        os.kill(int(parts[0]), 0)
        return False
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False


def _break(lock, judged):
    """Moves the lock aside (a rename: one breaker wins); puts back a lock that is not the one judged stale."""
    aside = "%s.%d.broken" % (lock, os.getpid())
    try:
        os.rename(lock, aside)
    except OSError:
        return  # already broken by another process
    if _read(aside) != judged:
        with contextlib.suppress(OSError):
            os.link(aside, lock)
    with contextlib.suppress(OSError):
        os.unlink(aside)
