/** Whether a process still lives, by pid (tests that check a cancel or a stop left nothing behind). */
import { readFileSync } from 'node:fs';

/** Gone: no such pid, or a zombie waiting for its parent to reap it (it runs nothing). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true; // gone between the two looks
  }
}

/** The pids a task wrote, one per line, once `count` whole lines are there (else undefined). */
export function pidsWritten(text: string, count: number): number[] | undefined {
  if (!text.endsWith('\n')) return undefined;
  const pids = text.trim().split('\n').map(Number);
  if (pids.length < count || !pids.every((pid) => Number.isSafeInteger(pid) && pid > 1)) return undefined;
  return pids;
}
