/**
 * The running agent's pidfile (taken atomically), and what `list` and `stop` make of it.
 *
 * Format: `PID START\n`, START being the process's start time (field 22 of /proc/PID/stat,
 * clock ticks since boot). The first word is the pid, always (other tools read only that).
 * After a crash or a reboot the pid may belong to another process by now: only a process with
 * the recorded start time is the agent, so `stop` never signals a stranger. A pidfile of an
 * older version holds only the pid: its process counts as the agent only if its command line
 * names funcx-endpoint (where /proc says so).
 */
import { existsSync, linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { EndpointPaths } from './paths.js';

export type EndpointState = 'Initialized' | 'Running' | 'Stopped' | 'Disconnected';

export interface PidRecord {
  pid: number;
  /** Field 22 of /proc/PID/stat when the pidfile was written; absent in old pidfiles and off Linux. */
  startTime?: string;
}

/** The pidfile's first word: the pid (the contract other tools rely on). */
export function readPid(paths: EndpointPaths): number | undefined {
  return readPidRecord(paths)?.pid;
}

export function readPidRecord(paths: EndpointPaths): PidRecord | undefined {
  if (!existsSync(paths.pidfile)) return undefined;
  return parsePidRecord(readFileSync(paths.pidfile, 'utf8'));
}

function parsePidRecord(text: string): PidRecord | undefined {
  const [first, second] = text.trim().split(/\s+/);
  const pid = Number(first);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return /^\d+$/.test(second ?? '') ? { pid, startTime: second } : { pid };
}

/** Field 22 of /proc/PID/stat (start time in clock ticks after boot), or undefined off Linux or when gone. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "PID (comm) S ppid ...": comm may hold spaces, so count fields after the last ')': state is field 3, start time 22.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
}

/**
 * Whether the process the pidfile names is still that process: alive, and started when the
 * pidfile says (or, for an old pid-only pidfile, a funcx-endpoint by its command line).
 */
export function isRecordedProcess(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  if (record.startTime !== undefined) {
    const now = processStartTime(record.pid);
    return now === undefined || now === record.startTime;
  }
  try {
    return readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').includes('funcx-endpoint');
  } catch {
    return true; // no /proc (not Linux): the pid is all there is to go by
  }
}

/** The pid of the agent the pidfile names, if that very process still runs. */
export function runningAgentPid(paths: EndpointPaths): number | undefined {
  const record = readPidRecord(paths);
  return record && isRecordedProcess(record) ? record.pid : undefined;
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
  const startTime = processStartTime(pid);
  try {
    // Inside the try: a write that fails (a full disk) must not leave the temporary file behind.
    writeFileSync(temp, startTime ? `${pid} ${startTime}\n` : `${pid}\n`, { mode: 0o600 });
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        linkSync(temp, paths.pidfile);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readPidRecord(paths);
      if (holder?.pid === pid) return;
      if (holder !== undefined && isRecordedProcess(holder)) throw new PidfileHeld(holder.pid);
      moveAsideIfStale(paths, holder?.pid, pid);
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
  const movedRecord = parsePidRecord(readFileSync(aside, 'utf8'));
  const moved = movedRecord?.pid;
  if (moved !== stale && movedRecord !== undefined && isRecordedProcess(movedRecord)) {
    try {
      linkSync(aside, paths.pidfile);
    } catch {
      // a third racer took the place meanwhile; it holds the pidfile now
    }
    rmSync(aside, { force: true });
    throw new PidfileHeld(movedRecord.pid);
  }
  rmSync(aside, { force: true });
}

export function removePid(paths: EndpointPaths, onlyIf = process.pid): void {
  if (readPid(paths) === onlyIf) rmSync(paths.pidfile, { force: true });
}

/** Initialized: configured, never registered. Disconnected: a pidfile whose process is gone. */
export function endpointState(paths: EndpointPaths): EndpointState {
  const record = readPidRecord(paths);
  if (record !== undefined) return isRecordedProcess(record) ? 'Running' : 'Disconnected';
  return existsSync(paths.identity) ? 'Stopped' : 'Initialized';
}
