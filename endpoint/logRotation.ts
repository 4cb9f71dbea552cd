/**
 * Size-based rotation of a detached endpoint's endpoint.log. The agent's stdout and stderr
 * (and those of anything it starts that inherits them) are that file, opened for appending by
 * `start --detach`; a process cannot re-point another's descriptors, so the rotation copies
 * and truncates (logrotate's copytruncate): endpoint.log.(N-1) → .N, ..., endpoint.log → .1,
 * then endpoint.log is cut to zero. Every writer appends (O_APPEND), so the next line lands at
 * the start of the emptied file. A line written between the copy and the cut is lost: rare,
 * and the price of rotating without restarting the agent.
 *
 * The size is checked every second, so a log can pass log_max_bytes by a second's worth.
 */
import { copyFileSync, existsSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';

export const LOG_CHECK_INTERVAL_MS = 1000;

/** Rotates `file` if it is larger than maxBytes; returns whether it did. */
export function rotateIfLarge(file: string, maxBytes: number, backups: number): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false; // not there (yet)
  }
  if (size <= maxBytes) return false;
  rmSync(`${file}.${backups}`, { force: true });
  for (let n = backups - 1; n >= 1; n--) {
    if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`);
  }
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}

/** Checks `file` every second for as long as the process runs (the timer does not keep it alive). */
export function startLogRotation(file: string, maxBytes: number, backups: number, onError: (error: unknown) => void): () => void {
  const timer = setInterval(() => {
    try {
      rotateIfLarge(file, maxBytes, backups);
    } catch (error) {
      onError(error); // a full disk, say: logged, and tried again next second
    }
  }, LOG_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
