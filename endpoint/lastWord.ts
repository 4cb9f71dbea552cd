/**
 * The agent's last word: before the endpoint process exits it says why, so that its owner and
 * users see `offline` (stopped cleanly, by whom) or `failed` (the fatal error) rather than `lost`.
 * Said twice: to the service (best effort, bounded: an unreachable service must not hold up the
 * exit) and in NAME/endpoint.state.json, which `funcx-endpoint list` reads when the service is far.
 *
 * Who stopped it: `funcx-endpoint stop` leaves NAME/stop-request.json (its user and pid) before it
 * signals the agent; a signal without it is named as such (Ctrl-C, a supervisor, kill).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asError } from '@funcx-ts/shared/errors.js';
import { writeFileAtomically } from '@funcx-ts/shared/atomicFile.js';
import { ServiceClient } from './client.js';
import { readIdentity } from './identity.js';
import { loadEndpointConfig } from './config.js';
import type { EndpointPaths } from './paths.js';

/** How long the report to the service may take before the process exits anyway. */
const REPORT_BOUND_MS = 5_000;
/** schemas/endpoint-state-report.json: detail is at most this many characters. */
const DETAIL_MAX = 4096;

export interface LastWord {
  state: 'offline' | 'failed';
  detail: string;
  /** ISO 8601 */
  at: string;
}

const stateFile = (paths: EndpointPaths) => path.join(paths.dir, 'endpoint.state.json');
const stopRequestFile = (paths: EndpointPaths) => path.join(paths.dir, 'stop-request.json');

/** `funcx-endpoint stop`: who asks, left for the agent to name in its last word. */
export function writeStopRequest(paths: EndpointPaths, command: string): void {
  writeFileAtomically(stopRequestFile(paths), JSON.stringify({ user: localUser(), pid: process.pid, command, at: new Date().toISOString() }) + '\n');
}

/** Who stopped the agent, for a signal it received: the stop request if one was left, else the signal itself. */
export function whoStopped(paths: EndpointPaths, signal: string): string {
  try {
    if (existsSync(stopRequestFile(paths))) {
      const request = JSON.parse(readFileSync(stopRequestFile(paths), 'utf8')) as { user?: string; pid?: number; command?: string };
      rmSync(stopRequestFile(paths), { force: true });
      return `${request.user ?? 'unknown user'} (${request.command ?? 'funcx-endpoint stop'}, pid ${request.pid ?? '?'}; ${signal})`;
    }
  } catch {
    // an unreadable request still names the signal
  }
  return `${signal} (sent to pid ${process.pid}, run by ${localUser()}: Ctrl-C, a supervisor, or kill)`;
}

export function readLastWord(paths: EndpointPaths): LastWord | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(paths), 'utf8')) as LastWord;
  } catch {
    return undefined;
  }
}

/** The agent starts: an earlier last word no longer describes it. */
export function clearLastWord(paths: EndpointPaths): void {
  rmSync(stateFile(paths), { force: true });
  rmSync(stopRequestFile(paths), { force: true });
}

/** Writes the local file, then tells the service (bounded); never throws. */
export async function sayLastWord(paths: EndpointPaths, word: Omit<LastWord, 'at'>, note: (line: string) => void): Promise<void> {
  // One line (a config error lists its problems on several): it shows in a table and a status field.
  const detail = Array.from(word.detail.replace(/\s*\n\s*/g, ' ').trim()).slice(0, DETAIL_MAX).join('') || word.state;
  const said: LastWord = { state: word.state, detail, at: new Date().toISOString() };
  try {
    writeFileAtomically(stateFile(paths), JSON.stringify(said, null, 2) + '\n');
  } catch (error) {
    note(`could not write endpoint.state.json: ${asError(error).message}`);
  }
  let identity;
  try {
    identity = readIdentity(paths);
  } catch {
    identity = undefined;
  }
  if (!identity) return; // never registered: the service knows nothing to correct
  let caFile: string | null | undefined;
  try {
    caFile = loadEndpointConfig(paths).caFile;
  } catch {
    caFile = undefined; // an invalid config is often the very failure being reported
  }
  try {
    await new ServiceClient(identity.service_url, { caFile }).reportState(identity.credential, identity.endpoint_id, { state: said.state, detail }, REPORT_BOUND_MS);
    note(`told the service the endpoint is ${said.state}: ${detail}`);
  } catch (error) {
    note(`could not tell the service the endpoint is ${said.state} (${asError(error).message}); it shows the endpoint lost once heartbeats are missed`);
  }
}

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
