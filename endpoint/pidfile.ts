/** The running agent's pidfile, and what `list` makes of it. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { EndpointPaths } from './paths.js';

export type EndpointState = 'Initialized' | 'Running' | 'Stopped' | 'Disconnected';

export function readPid(paths: EndpointPaths): number | undefined {
  if (!existsSync(paths.pidfile)) return undefined;
  const pid = Number(readFileSync(paths.pidfile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writePid(paths: EndpointPaths, pid = process.pid): void {
  writeFileSync(paths.pidfile, `${pid}\n`, { mode: 0o600 });
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
