/**
 * The last-seen refreshes of unchanged heartbeats (heartbeatMemory.ts), written together: the
 * first refresh due starts a short batch (a quarter of the refresh age, at most
 * REFRESH_BATCH_MAX_MS), every refresh due meanwhile joins it, and the batch is one UPDATE of
 * all its endpoints (WHERE id IN (...), up to REFRESH_BATCH_ROWS a statement). An idle fleet's
 * heartbeats then cost about one statement per batch on each instance, not one per endpoint
 * every refresh (docs/benchmarks.md, "Idle endpoints on MariaDB"). Each heartbeat still
 * answers only once its refresh is stored (it waits for its batch), so the stored last-seen
 * time lags by at most the refresh age, one heartbeat period and one batch.
 *
 * A heartbeat that writes in full, or a state report, takes its endpoint out of the batch
 * (drop) first, so a batch written later cannot put an older report back or clear the state
 * the agent just reported.
 */
import type { Knex } from 'knex';
import { now, nowSql } from '../db/clock.js';
import { refreshAfter } from './heartbeatMemory.js';
import { KeyedBatch } from '../util/keyedBatch.js';
import { onePerDatabase } from '../util/perDatabase.js';

/** The longest a refresh waits for others to join its batch. */
export const REFRESH_BATCH_MAX_MS = 1000;
/** Endpoints per UPDATE (three bound values each). */
export const REFRESH_BATCH_ROWS = 500;

class LastSeenRefreshes {
  private offlineAfterMs = 0;
  private readonly batch: KeyedBatch<string>;

  constructor(db: Knex) {
    this.batch = new KeyedBatch((entries) => storeLastSeen(db, entries.map(([id, report]) => ({ id, report })), this.offlineAfterMs), REFRESH_BATCH_ROWS);
  }

  /** Stores `report` and now as the endpoint's last word and last-seen time, with the others due in the same batch. */
  refresh(endpointId: string, report: string, offlineAfterMs: number): Promise<void> {
    this.offlineAfterMs = offlineAfterMs;
    return this.batch.add(endpointId, report, refreshBatchMs(offlineAfterMs));
  }

  /** Takes the endpoint out of the batch: what is written instead (a full heartbeat, a state report) supersedes it. */
  drop(endpointId: string): void {
    this.batch.drop(endpointId);
  }
}

/** How long a batch waits for more: a quarter of the refresh age, at most REFRESH_BATCH_MAX_MS. */
export function refreshBatchMs(offlineAfterMs: number): number {
  return Math.min(REFRESH_BATCH_MAX_MS, Math.floor(refreshAfter(offlineAfterMs) / 4));
}

/**
 * The endpoint rows' last-seen time and report, for any number of endpoints in one UPDATE. A
 * heartbeat after a silence, a stop or a failure starts a new online period (seenNow); it also
 * clears the agent's last word.
 */
export async function storeLastSeen(db: Knex, rows: readonly { id: string; report: string }[], offlineAfterMs: number): Promise<void> {
  if (rows.length === 0) return;
  const report = rows.length === 1 ? '?' : `CASE id ${rows.map(() => 'WHEN ? THEN ?').join(' ')} END`;
  const reportBindings = rows.length === 1 ? [rows[0].report] : rows.flatMap((row) => [row.id, row.report]);
  await db('endpoints').whereIn('id', rows.map((row) => row.id)).update({
    ...seenNow(db, offlineAfterMs),
    last_report: db.raw(report, reportBindings),
    state_event: null,
    state_detail: null,
    state_at: null,
  });
}

/**
 * The assignments that say "seen now": online_since first, since MySQL evaluates an UPDATE's
 * assignments left to right, each seeing the ones before. A sighting after a silence, a stop or
 * a failure starts a new online period.
 */
export function seenNow(db: Knex, offlineAfterMs: number): { online_since: Knex.Raw; last_heartbeat_at: Knex.Raw } {
  const nowExpr = nowSql(db);
  return {
    online_since: db.raw(
      `CASE WHEN online_since IS NULL OR last_heartbeat_at IS NULL OR state_event IS NOT NULL OR ${nowExpr} - last_heartbeat_at > ? THEN ${nowExpr} ELSE online_since END`,
      [offlineAfterMs],
    ),
    last_heartbeat_at: now(db),
  };
}

/** One batcher per database handle, i.e. per service instance. */
export const lastSeenRefreshesOf = onePerDatabase((db) => new LastSeenRefreshes(db));
