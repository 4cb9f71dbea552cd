/**
 * `funcx-endpoint start` on a disk that is full, over quota or read-only: the files it must
 * write before it can run (the pidfile, which keeps a second agent off this endpoint; the
 * session file; endpoint.json on first start) cannot be written. It then fails at once with
 * one line naming the file and the errno, and exit code EXIT_LOCAL_DISK_FULL, not a stack.
 *
 * Failing, not waiting in-process: nothing is held yet (no lease, no result), so nothing is
 * lost, and a supervisor already retries a failed start (the generated systemd unit restarts
 * on failure every RestartSec), while someone at a terminal learns at once what to free.
 */
import { asError } from '@funcx-ts/shared/errors.js';

/** Exit code of a start that could not write a local file for lack of space (or a read-only disk). */
export const EXIT_LOCAL_DISK_FULL = 4;

const MEANINGS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
};

/**
 * The one line to print when `error` is a write that failed for lack of space (or a read-only
 * disk), else undefined. The file named is the one meant, not its temporary twin
 * (`FILE.PID.tmp`, which atomic writes go through).
 */
export function localDiskFullLine(error: unknown): string | undefined {
  const { code, path: file } = asError(error) as NodeJS.ErrnoException;
  if (code === undefined || !(code in MEANINGS)) return undefined;
  const target = file ? file.replace(/\.\d+\.tmp$/, '') : 'a local file';
  return `cannot write ${target}: ${code} (${MEANINGS[code]}); free space on that disk and start again`;
}

/**
 * Runs a local write, so that its failure names `file`: a write through a descriptor
 * (writeSync) fails with an errno error that carries no path.
 */
export function writingFile<T>(file: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const errno = error as NodeJS.ErrnoException;
    if (errno && typeof errno === 'object' && errno.code !== undefined && errno.path === undefined) errno.path = file;
    throw error;
  }
}
