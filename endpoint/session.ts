/**
 * The agent run's session: a random id made at each start, sent with every
 * lease call (the service records it on the leased tasks) and with every
 * reconcile, which returns only the leases of the sessions it names
 * (src/ledger/reconcileLeases.ts). The same endpoint id may run on two hosts
 * (a copy of endpoint.json in another FUNCX_HOME); each agent has its own
 * session, so neither one's start returns the other's running tasks.
 *
 * endpoint.session, next to the pidfile, keeps this run's id and the ids of
 * earlier runs whose leases were not reconciled yet. Only one agent runs per
 * endpoint folder (the pidfile), so on start the ids found there are runs of
 * this folder that are over (stopped, or killed with -9): their leases that
 * this run does not hold (results waiting in the spool are held) go back to
 * the queue at once. A run that dies before its first reconcile passes its
 * predecessors on: they stay listed until a reconcile succeeds. Written
 * atomically, so a crash leaves the old file or the new one, never half.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { writeFileAtomically } from '@funcx-ts/shared/atomicFile.js';
import type { EndpointPaths } from './paths.js';

/** The service's schemas take at most this many earlier sessions in one reconcile. */
const MAX_PREVIOUS = 16;
const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

export interface AgentSession {
  /** This run's id. */
  readonly id: string;
  /** Earlier runs of this endpoint folder whose leases may still be out. */
  readonly previous: readonly string[];
  /** The service reconciled `previous`: forget them (the file keeps only this run's id). */
  reconciled(): void;
}

interface SessionFile {
  session: string;
  unreconciled: string[];
}

/** Makes this run's session and records it; call after taking the pidfile. */
export function startSession(paths: Pick<EndpointPaths, 'session'>): AgentSession {
  const earlier = readSessionFile(paths.session);
  const previous = earlier ? [...new Set([earlier.session, ...earlier.unreconciled])].slice(0, MAX_PREVIOUS) : [];
  const id = randomBytes(18).toString('base64url');
  write(paths.session, { session: id, unreconciled: previous });
  let pending = previous.length > 0;
  return {
    id,
    previous,
    reconciled() {
      if (!pending) return;
      pending = false;
      write(paths.session, { session: id, unreconciled: [] });
    },
  };
}

function write(file: string, content: SessionFile): void {
  writeFileAtomically(file, JSON.stringify(content) + '\n', 0o600);
}

/** The file as the last run left it; undefined when absent or not ours (then nothing earlier is reconciled). */
export function readSessionFile(file: string): SessionFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SessionFile>;
    if (typeof parsed.session !== 'string' || !SESSION_ID.test(parsed.session)) return undefined;
    const unreconciled = Array.isArray(parsed.unreconciled) ? parsed.unreconciled.filter((s): s is string => typeof s === 'string' && SESSION_ID.test(s)) : [];
    return { session: parsed.session, unreconciled };
  } catch {
    return undefined;
  }
}
