/** Endpoint heartbeats: the latest report, a short log of recent ones (the status "logs"), and the minute's figures for the charts. */
import type { Knex } from 'knex';
import { now, readNow } from '../db/clock.js';
import { blocksProblem, endpointState, reportedBlocks } from './endpointState.js';
import { inTransaction } from '../db/transaction.js';
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import { countEndpointTasks } from '../ledger/readTasks.js';
import { isOnline, type EndpointRow } from './endpoints.js';
import { activityBatchOf } from './endpointActivity.js';
import { heartbeatMemoryOf, type HeartbeatWrite } from './heartbeatMemory.js';
import { lastSeenRefreshesOf, refreshBatchMs, storeLastSeen } from './lastSeenRefresh.js';
import type { EndpointHeartbeatRequest } from '@funcx-ts/shared/wire/endpoint-heartbeat.js';
import type { EndpointStatusResponse } from '@funcx-ts/shared/wire/endpoint-status.js';

type Report = Omit<EndpointHeartbeatRequest, 'leases'>;

/**
 * The most of one report that is stored (MEDIUMTEXT holds 16 MB; 20 of these
 * per endpoint are kept). A report over it keeps its counts and hostname, and
 * its free-form `details` are replaced by a note saying how large they were.
 */
export const MAX_STORED_REPORT_BYTES = 1024 * 1024;

export function storedReport(report: Report): string {
  const text = JSON.stringify(report);
  const size = Buffer.byteLength(text);
  if (size <= MAX_STORED_REPORT_BYTES) return text;
  const { details: _details, runtimes: _runtimes, ...counts } = report;
  return JSON.stringify({ ...counts, details: { omitted: `the heartbeat report was ${size} bytes; this service stores up to ${MAX_STORED_REPORT_BYTES}` } });
}

/**
 * Stores a heartbeat, writing only what it changes (heartbeatMemory.ts): a new
 * report in full (the endpoint row, the log), an unchanged one's last-seen time
 * once it ages, and the minute's activity row once a minute. Returns what it wrote.
 */
export async function recordHeartbeat(db: Knex, input: { endpointId: string; report: Report; keep: number; offlineAfterMs: number }): Promise<HeartbeatWrite> {
  const text = storedReport(input.report);
  const memory = heartbeatMemoryOf(db);
  const write = memory.decide(input.endpointId, text, input.offlineAfterMs, Date.now());
  // An unchanged report's refresh goes out with the others due now, in one UPDATE (lastSeenRefresh.ts).
  if (write === 'refresh') await lastSeenRefreshesOf(db).refresh(input.endpointId, text, input.offlineAfterMs);
  if (write === 'full') lastSeenRefreshesOf(db).drop(input.endpointId);
  if (write === 'full') await inTransaction(db, async (trx) => {
    await storeLastSeen(trx, [{ id: input.endpointId, report: text }], input.offlineAfterMs);
    await trx('endpoint_heartbeats').insert({ endpoint_id: input.endpointId, at: now(trx), report: text });
    // Keep the newest `keep`: find the oldest seq still kept, delete below it.
    const boundary = await trx('endpoint_heartbeats')
      .where({ endpoint_id: input.endpointId })
      .orderBy('seq', 'desc')
      .offset(input.keep - 1)
      .first('seq');
    if (boundary) await trx('endpoint_heartbeats').where({ endpoint_id: input.endpointId }).andWhere('seq', '<', boundary.seq).delete();
  });
  if (write !== 'none') memory.wrote(input.endpointId, text, Date.now());
  // The minute's figures for the console's charts (endpointActivity.ts): once a minute while they stay the same.
  if (!memory.activityDue(input.endpointId, text, Date.now())) return write;
  const { idle_workers: idleWorkers, total_workers: totalWorkers, pending_tasks: pendingInEndpoint } = input.report;
  // With the other endpoints' minute rows due now, in a few statements for all (endpointActivity.ts).
  await activityBatchOf(db).record({ endpointId: input.endpointId, idleWorkers, totalWorkers, pendingInEndpoint }, refreshBatchMs(input.offlineAfterMs));
  memory.wroteActivity(input.endpointId, text, Date.now());
  return write;
}

export async function endpointStatus(db: Knex, endpoint: EndpointRow, input: { offlineAfterMs: number; logSize: number }): Promise<EndpointStatusResponse> {
  const [dbNow, counts, beats] = await Promise.all([
    readNow(db),
    countEndpointTasks(db, endpoint.id),
    db('endpoint_heartbeats').where({ endpoint_id: endpoint.id }).orderBy('seq', 'desc').limit(input.logSize),
  ]);
  const online = isOnline(endpoint, dbNow, input.offlineAfterMs);
  const latest = parseStored<Partial<Report>>(endpoint.last_report, {});
  const blocks = reportedBlocks(endpoint.last_report);
  const state = endpointState(endpoint, dbNow, input.offlineAfterMs);
  if (state.state === 'online') state.state_detail = blocksProblem(blocks);
  return {
    endpoint_id: endpoint.id,
    status: online ? 'online' : 'offline',
    ...state,
    ...(blocks ? { blocks } : {}),
    // Capacity comes from the endpoint's last word; counts from the ledger, which is always right.
    total_workers: online ? latest.total_workers ?? 0 : 0,
    idle_workers: online ? latest.idle_workers ?? 0 : 0,
    outstanding_tasks: counts.running,
    pending_tasks: counts.waiting,
    last_heartbeat_at: isoOrNull(endpoint.last_heartbeat_at),
    logs: beats.map((beat: { at: number; report: string }) => {
      const report = parseStored<Report>(beat.report, { total_workers: 0, idle_workers: 0, outstanding_tasks: 0, pending_tasks: 0 });
      return {
        timestamp: isoOrNull(beat.at)!,
        total_workers: report.total_workers,
        idle_workers: report.idle_workers,
        outstanding_tasks: report.outstanding_tasks,
        pending_tasks: report.pending_tasks,
        ...(report.hostname !== undefined ? { hostname: report.hostname } : {}),
        ...(report.runtimes !== undefined ? { runtimes: report.runtimes } : {}),
        ...(report.details !== undefined ? { details: report.details } : {}),
      };
    }),
  };
}
