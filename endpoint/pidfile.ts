/** The running agent's pidfile (taken atomically), and what `list` makes of it. */
import { existsSync, linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { EndpointPaths } from './paths.js';

export type EndpointState = 'Initialized' | 'Running' | 'Stopped' | 'Disconnected';

export function readPid(paths: EndpointPaths): number | undefined {
  if (!existsSync(paths.pidfile)) return undefined;
  const pid = Number(readFileSync(paths.pidfile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether `pid` is a running process. kill(pid, 0) also succeeds for a zombie
 * (exited, not yet reaped by its parent), which would make `stop` wait forever:
 * on Linux, /proc/PID/stat's state Z (or X) counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

export function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // no /proc (not Linux), or gone just now: kill(0) decided
  }
  // "PID (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

export class PidfileHeld extends Error {
  constructor(readonly pid: number) {
    super(`already running (pid ${pid})`);
  }
}

/**
 * Takes the pidfile for `pid`, atomically: the file appears whole (written to a temporary
 * name, then hard-linked into place, which fails if it exists), so of two starts racing
 * exactly one wins and the other sees its pid. A pidfile naming a dead process is moved
 * aside (rename: only one racer can) and taken; a live one throws PidfileHeld.
 */
export function takePidfile(paths: EndpointPaths, pid = process.pid): void {
  const temp = `${paths.pidfile}.${pid}.tmp`;
  writeFileSync(temp, `${pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        linkSync(temp, paths.pidfile);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readPid(paths);
      if (holder === pid) return;
      if (holder !== undefined && isAlive(holder)) throw new PidfileHeld(holder);
      moveAsideIfStale(paths, holder, pid);
    }
    throw new Error(`could not take ${paths.pidfile}: it keeps changing`);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Moves a stale pidfile aside; if what was moved is not the stale one we read (a racer's fresh file), puts it back. */
function moveAsideIfStale(paths: EndpointPaths, stale: number | undefined, pid: number): void {
  const aside = `${paths.pidfile}.${pid}.stale`;
  try {
    renameSync(paths.pidfile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another racer moved it: try again
    throw error;
  }
  const moved = Number(readFileSync(aside, 'utf8').trim()) || undefined;
  if (moved !== stale && moved !== undefined && isAlive(moved)) {
    try {
      linkSync(aside, paths.pidfile);
    } catch {
      // a third racer took the place meanwhile; it holds the pidfile now
    }
    rmSync(aside, { force: true });
    throw new PidfileHeld(moved);
  }
  rmSync(aside, { force: true });
}

export function removePid(paths: EndpointPaths, onlyIf = process.pid): void {
  if (readPid(paths) === onlyIf) rmSync(paths.pidfile, { force: true });
}

/** Initialized: configured, never registered. Disconnected: a pidfile whose process is gone. */
export function endpointState(paths: EndpointPaths): EndpointState {
  const pid = readPid(paths);
  if (pid !== undefined) return isAlive(pid) ? 'Running' : 'Disconnected';
  return existsSync(paths.identity) ? 'Stopped' : 'Initialized';
}
