/**
 * Every process the executor starts is spawned detached, so it leads its own
 * process group; killing the group (negative pid) also ends whatever the
 * user's code started (os.popen, `cmd &`), so nothing outlives its task.
 */

/** Sends `signal` to the whole group led by `pid`; a group already gone is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * How long a cancelled task's process group gets between SIGTERM (a chance to clean up:
 * temporary files, an mpiexec passing the signal to its ranks) and SIGKILL. Short enough that
 * a cancel ends the task within the 5 s the documentation promises (docs/endpoints.md).
 */
export const CANCEL_GRACE_MS = 2_000;

/**
 * Ends a group politely: SIGTERM now, SIGKILL after `graceMs`. The SIGKILL waits out the
 * grace even when the leader exits at once (a shell dies on SIGTERM while the mpiexec under it
 * is still ending its ranks, which Open MPI puts in process groups of their own: killing
 * mpiexec early would orphan them). Callers skip their own kill-on-exit while this runs.
 */
export function terminateGroup(pid: number | undefined, graceMs: number): void {
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
}

/** "code 1" or "signal SIGKILL", for messages. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}
