/**
 * A small private tmpfs for tests of a full disk: mounted on a fresh folder, unmounted (and
 * the folder removed) at teardown, pass or fail. Mounting needs root (CI runs as root).
 */
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';

const run = promisify(execFile);

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export function tmpfsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs as root)';
  if (process.platform !== 'linux') return 'tmpfs is Linux only';
  return undefined;
}

/** Mounts a tmpfs of `sizeMb` MB; returns its folder. */
export async function mountTmpfs(t: ExecutionContext, sizeMb: number): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-tmpfs-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir]);
  t.teardown(async () => {
    // Lazy: a child still holding a file there must not keep the mount (and the test) hanging.
    await run('umount', ['-l', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** Fills the file system of `dir` to the last byte with one file; returns its path (delete it to free the space). */
export function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'a');
  try {
    // Big blocks first, then smaller ones, until not even one byte fits.
    for (const size of [1 << 20, 1 << 12, 1]) {
      const block = Buffer.alloc(size, 0x5a);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}
