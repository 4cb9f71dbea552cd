/**
 * Writing a file so that after a crash (of the process or the machine) it is
 * either the old file or the whole new one: write a temp file, fsync it, rename
 * it over the target, then fsync the directory so the rename itself is durable.
 * A reader never sees half a file. Used for the service's quickstart.json, the
 * endpoint's spool and identity, and the SDK's credentials.json. Synchronous from
 * the temp file to the rename, so two writers in one process cannot interleave;
 * the pid keeps two processes apart.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Temp files end in this; readers skip (or clear) them. */
export const TEMP_SUFFIX = '.tmp';

export function writeFileAtomically(file: string, content: string, mode = 0o600): void {
  // The pid keeps two processes writing the same file from sharing a temp file.
  const temp = `${file}.${process.pid}${TEMP_SUFFIX}`;
  rmSync(temp, { force: true }); // a leftover would keep its old mode: open() applies mode only on create
  const fd = openSync(temp, 'w', mode);
  try {
    fchmodSync(fd, mode); // open()'s mode is masked by the umask; this is exact
    const bytes = Buffer.from(content);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
  syncDirectory(path.dirname(file));
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
