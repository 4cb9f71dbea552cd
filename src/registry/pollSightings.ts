/**
 * An idle agent's lease poll stands for its heartbeat. An idle endpoint used to send the same
 * report every heartbeat_period (10 s) beside a poll that waits 50 s, and those heartbeats were
 * most of what an idle fleet cost (docs/benchmarks.md, "Idle endpoints"). Now each poll that
 * arrives is a sighting: it refreshes the endpoint's last-seen time, and once a minute its
 * activity row (the console's charts) from the report stored last, while the agent, told so in
 * the lease answer (idle_heartbeat_s), skips the heartbeats that would repeat that report with
 * nothing held (endpoint/agent/pollStandsIn.ts). A heartbeat still comes at least every
 * idle_heartbeat_s, and at once when anything changes.
 *
 * The lease answer says so only when polls come often enough to keep the endpoint online: the
 * poll's wait plus POLL_SIGHTING_MARGIN_MS (the next poll's way here, one sighting batch) within
 * the offline threshold. Sightings are written together (a KeyedBatch, like the last-seen
 * refreshes of unchanged heartbeats), never touch the stored report, and leave alone an endpoint
 * whose agent reported it stopped or failed (its next heartbeat clears that, as before). A poll
 * never waits for its sighting: a failed one is logged, and the agent's heartbeats still come.
 */
import type { Knex } from 'knex';
import { heartbeatMemoryOf } from './heartbeatMemory.js';
import { refreshBatchMs, seenNow } from './lastSeenRefresh.js';
import { recordActivities, type ActivitySample } from './endpointActivity.js';
import { parseStored } from '../util/json.js';
import { KeyedBatch } from '../util/keyedBatch.js';
import { onePerDatabase } from '../util/perDatabase.js';
import { SECOND } from '../util/time.js';
import type { EndpointHeartbeatRequest } from '@funcx-ts/shared/wire/endpoint-heartbeat.js';

/** The next poll's arrival after one ends, and the batch its sighting waits in, at most. */
export const POLL_SIGHTING_MARGIN_MS = 5 * SECOND;
/** The longest an idle agent goes without a heartbeat while its polls stand for them. */
export const IDLE_HEARTBEAT_S = 300;
/** Endpoints per UPDATE. */
const SIGHTING_BATCH_ROWS = 500;

/** What the lease answer tells the agent: idle_heartbeat_s when a poll of `waitS` keeps it online, else nothing. */
export function idleHeartbeatSeconds(waitS: number, offlineAfterMs: number): number | undefined {
  return waitS * SECOND + POLL_SIGHTING_MARGIN_MS <= offlineAfterMs ? IDLE_HEARTBEAT_S : undefined;
}

type Log = { warn(fields: object, message: string): void };

class PollSightings {
  private offlineAfterMs = 0;
  private readonly batch: KeyedBatch<true>;

  constructor(private readonly db: Knex) {
    this.batch = new KeyedBatch((entries) => this.write(entries.map(([id]) => id)), SIGHTING_BATCH_ROWS);
  }

  /**
   * A poll of this endpoint arrived: refresh its last-seen time unless this instance just did.
   * Settles once stored, or once a failure is logged (it never rejects); the poll does not wait for it.
   */
  sight(endpointId: string, offlineAfterMs: number, log: Log): Promise<void> {
    if (!heartbeatMemoryOf(this.db).sightingDue(endpointId, offlineAfterMs, Date.now())) return Promise.resolve();
    this.offlineAfterMs = offlineAfterMs;
    return this.batch.add(endpointId, true, refreshBatchMs(offlineAfterMs)).catch((error: unknown) => {
      log.warn({ err: error, endpointId }, 'could not store a lease poll as the endpoint\'s sighting; its heartbeats still come');
    });
  }

  private async write(ids: string[]): Promise<void> {
    const { db } = this;
    const memory = heartbeatMemoryOf(db);
    // An endpoint whose agent reported a stop or a failure keeps that word until its next heartbeat.
    await db('endpoints').whereIn('id', ids).whereNull('state_event').update(seenNow(db, this.offlineAfterMs));
    const at = Date.now();
    for (const id of ids) memory.sighted(id, at);
    const due = ids.filter((id) => memory.activityMinuteDue(id, at));
    if (due.length === 0) return;
    // The minute's figures are the agent's last report, the one its skipped heartbeats would repeat.
    const rows: { id: string; last_report: string | null }[] = await db('endpoints')
      .whereIn('id', due).whereNull('state_event').whereNotNull('last_report').select('id', 'last_report');
    const samples: ActivitySample[] = rows.map((row) => {
      const report = parseStored<Partial<EndpointHeartbeatRequest>>(row.last_report, {});
      return { endpointId: row.id, idleWorkers: report.idle_workers ?? 0, totalWorkers: report.total_workers ?? 0, pendingInEndpoint: report.pending_tasks ?? 0 };
    });
    await recordActivities(db, samples);
    for (const row of rows) memory.wroteActivity(row.id, row.last_report!, at);
  }
}

/** One batcher per database handle, i.e. per service instance. */
export const pollSightingsOf = onePerDatabase((db) => new PollSightings(db));
