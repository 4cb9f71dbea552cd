/**
 * Why an endpoint is in the state it is, from the ledger alone (so every replica answers alike):
 *
 * - `online`: it heartbeated within FUNCX_ENDPOINT_OFFLINE_AFTER, and said nothing since.
 * - `offline`: its agent said it stopped cleanly (who stopped it, when), or no agent ever connected.
 * - `failed`: its agent said it hit a fatal error (the error, when) before exiting.
 * - `lost`: heartbeats stopped without a word (killed, crashed, host or network down): since the last.
 *
 * The agent's word (`state_event`) stands until its next heartbeat clears it (registry/heartbeats.ts).
 */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import type { EndpointRow } from './endpoints.js';
import { heartbeatMemoryOf } from './heartbeatMemory.js';
import { lastSeenRefreshesOf } from './lastSeenRefresh.js';

export type EndpointStateName = 'online' | 'offline' | 'lost' | 'failed';

export interface EndpointState {
  state: EndpointStateName;
  state_detail: string | null;
  state_since: string | null;
}

export interface BlockState {
  block_id: string;
  job_id: string | null;
  scheduler_state: string;
  /** It ended (or could not be submitted): shown a while so the status says why it is gone. */
  ended?: boolean;
}

/** What the agent may say about itself as it goes (schemas/endpoint-state-report.json). */
export interface StateReport {
  state: 'offline' | 'failed';
  detail: string;
}

type StateColumns = Pick<EndpointRow, 'last_heartbeat_at' | 'created_at'> & {
  state_event?: string | null;
  state_detail?: string | null;
  state_at?: number | string | null;
  online_since?: number | string | null;
};

export function endpointState(row: StateColumns, dbNow: number, offlineAfterMs: number): EndpointState {
  if (row.state_event === 'offline' || row.state_event === 'failed') {
    return { state: row.state_event, state_detail: row.state_detail ?? null, state_since: isoOrNull(row.state_at) };
  }
  if (row.last_heartbeat_at == null) return { state: 'offline', state_detail: 'no agent has connected yet', state_since: null };
  const lastBeat = isoOrNull(row.last_heartbeat_at);
  if (dbNow - Number(row.last_heartbeat_at) <= offlineAfterMs) {
    return { state: 'online', state_detail: null, state_since: isoOrNull(row.online_since) ?? lastBeat };
  }
  return {
    state: 'lost',
    state_detail: `no heartbeat since ${lastBeat}: the agent stopped without saying why (killed, crashed, or its host or network is down)`,
    state_since: lastBeat,
  };
}

/** Records the agent's word; a later heartbeat (the agent back) clears it. */
export async function recordStateReport(db: Knex, endpointId: string, report: StateReport): Promise<void> {
  lastSeenRefreshesOf(db).drop(endpointId); // a refresh batched before this word must not clear it
  await db('endpoints').where({ id: endpointId }).update({ state_event: report.state, state_detail: report.detail, state_at: now(db) });
  heartbeatMemoryOf(db).forget(endpointId); // the next heartbeat (a restarted agent) must write, to clear this
}

/**
 * An online endpoint whose provider cannot start blocks is alive but runs nothing: when no block
 * is live and the newest ended one could not be submitted, say so (the scheduler's own words).
 */
export function blocksProblem(blocks: readonly BlockState[] | undefined): string | null {
  if (!blocks || blocks.some((b) => !b.ended)) return null;
  const newest = blocks.find((b) => b.ended);
  return newest && /^SUBMIT FAILED\b/.test(newest.scheduler_state) ? `blocks cannot start: ${newest.scheduler_state}` : null;
}

/** The blocks the endpoint's last heartbeat described, each with what its scheduler says of it. */
export function reportedBlocks(lastReport: string | null): BlockState[] | undefined {
  const report = parseStored<{ details?: { blocks?: unknown; ended_blocks?: unknown } }>(lastReport, {});
  const { blocks, ended_blocks: ended } = report.details ?? {};
  if (!Array.isArray(blocks)) return undefined;
  return [...listed(blocks, false), ...(Array.isArray(ended) ? listed(ended, true) : [])];
}

function listed(blocks: unknown[], ended: boolean): BlockState[] {
  return blocks
    .filter((b): b is Record<string, unknown> => b !== null && typeof b === 'object' && typeof (b as { block_id?: unknown }).block_id === 'string')
    .map((b) => ({
      block_id: b.block_id as string,
      job_id: typeof b.job_id === 'string' ? b.job_id : null,
      scheduler_state: typeof b.scheduler_state === 'string' ? b.scheduler_state : String(b.state ?? 'unknown').toUpperCase(),
      ...(ended ? { ended: true } : {}),
    }));
}
