/**
 * Every process the executor starts is spawned detached, so it leads its own
 * process group; killing the group (negative pid) also ends whatever the
 * user's code started (os.popen, `cmd &`), so nothing outlives its task.
 */

/** How killGroup() ends a group: one signal now, or SIGTERM now and SIGKILL after a grace. */
export interface GroupEnding {
  /** Sent now (default SIGKILL); ignored when `graceMs` is set. */
  signal?: NodeJS.Signals;
  /**
   * SIGTERM now (a chance to clean up: temporary files, an mpiexec passing the signal to its
   * ranks), SIGKILL after this long. The SIGKILL waits out the grace even when the leader exits
   * at once (a shell dies on SIGTERM while the mpiexec under it is still ending its ranks, which
   * Open MPI puts in process groups of their own: killing mpiexec early would orphan them).
   * Callers skip their own kill-on-exit while this runs.
   */
  graceMs?: number;
}

/**
 * The endpoint's one way to end a process group: sends to the whole group led by `pid` (a
 * group already gone is fine). By default SIGKILL now; see GroupEnding. Returns a function that
 * calls off a SIGKILL still to come (a no-op when none is).
 */
export function killGroup(pid: number | undefined, how: GroupEnding = {}): () => void {
  if (pid === undefined) return noPendingKill;
  if (how.graceMs === undefined) {
    sendToGroup(pid, how.signal ?? 'SIGKILL');
    return noPendingKill;
  }
  sendToGroup(pid, 'SIGTERM');
  const pendingKill = setTimeout(() => sendToGroup(pid, 'SIGKILL'), how.graceMs);
  return () => clearTimeout(pendingKill);
}

function noPendingKill(): void {}

function sendToGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * How long a cancelled task's process group gets between SIGTERM and SIGKILL (killGroup's
 * graceMs). Short enough that a cancel ends the task within the 5 s the documentation promises
 * (docs/endpoints.md).
 */
export const CANCEL_GRACE_MS = 2_000;

/** "code 1" or "signal SIGKILL", for messages. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}
