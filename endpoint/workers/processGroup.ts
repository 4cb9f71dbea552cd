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

/** "code 1" or "signal SIGKILL", for messages. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}
