/**
 * A lock across processes on one file, for renewing a stored login: a refresh token is good
 * once, so two processes (TypeScript or Python, which uses the same protocol in
 * sdk/python/funcx_ts/file_lock.py) must not both spend it. The lock is `FILE.lock`, created
 * exclusively, holding "pid hostname". A lock whose holder is gone (a dead pid on this host) or
 * that is older than STALE_MS is broken; waiting is bounded by `timeoutMs`, after which the
 * lock is taken anyway (a renewal takes seconds: a lock held for a minute is abandoned).
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import { backoffDelay } from './backoff.js';
import { sleep } from './sleep.js';

const STALE_MS = 120_000;
/** How often to look whether the lock is free: soon at first, then at most every 200 ms. */
const LOCK_POLL = { initialMs: 10, maxMs: 200 };

export async function withFileLock<T>(file: string, work: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const lock = `${file}.lock`;
  const me = `${process.pid} ${os.hostname()}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let attempt = 0; ; attempt += 1) {
    if (tryCreate(lock, me)) break;
    const holder = readHolder(lock);
    if (isStale(lock, holder) || Date.now() > deadline) breakLock(lock, holder);
    else await sleep(backoffDelay(attempt, LOCK_POLL));
  }
  try {
    return await work();
  } finally {
    // Only our own lock: if it was broken and retaken meanwhile, it is someone else's now.
    if (readHolder(lock) === me) rmSync(lock, { force: true });
  }
}

function tryCreate(lock: string, me: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, me);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function isStale(lock: string, holder: string | undefined): boolean {
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(lock).mtimeMs;
  } catch {
    return false; // gone: the next attempt creates it
  }
  if (ageMs > STALE_MS) return true;
  const [pid, host] = (holder ?? '').split(' ');
  // Only a holder on this host can be checked; an empty file is a holder still writing its name.
  if (!pid || host !== os.hostname()) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves the lock aside (a rename: of several breakers only one succeeds) and drops it. If what
 * was moved is not the lock judged stale (another breaker was quicker and a new holder took the
 * lock), it is put back.
 */
function breakLock(lock: string, judged: string | undefined): void {
  const aside = `${lock}.${process.pid}.broken`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // already broken by another process
  }
  if (readHolder(aside) !== judged) {
    try {
      linkSync(aside, lock);
    } catch {
      // someone holds the lock again; theirs stands
    }
  }
  rmSync(aside, { force: true });
}
