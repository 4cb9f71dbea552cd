/**
 * An endpoint's last hour, a minute at a time, for the console's charts.
 * Each heartbeat overwrites its minute's row (workers busy and idle, tasks
 * queued at the service and in the endpoint); rows older than ACTIVITY_KEEP
 * go at the next heartbeat (and at the purge tick, for endpoints that stopped).
 * Finished and failed tasks per minute are counted from the ledger's
 * completion times. Minutes are the database clock's, like every ledger time.
 */
import type { Knex } from 'knex';
import { readNow } from '../db/clock.js';
import { dialectOf } from '../db/connect.js';
import { FAILED, SUCCESS, WAITING } from '../ledger/model.js';
import { KeyedBatch } from '../util/keyedBatch.js';
import { onePerDatabase } from '../util/perDatabase.js';
import { HOUR, MINUTE } from '../util/time.js';
import type { EndpointActivityResponse } from '@funcx-ts/shared/wire/endpoint-activity.js';

/** How long the per-minute figures are kept: the longest window the activity route serves, and then some. */
export const ACTIVITY_KEEP = 2 * HOUR;
export const BUCKET = MINUTE;

const minuteOf = (ms: number) => Math.floor(ms / BUCKET) * BUCKET;

export interface ActivitySample { endpointId: string; idleWorkers: number; totalWorkers: number; pendingInEndpoint: number }

/**
 * The minute's rows of any number of endpoints in four statements: the clock and the tasks
 * waiting per endpoint (one grouped count, at once), one multi-row upsert, one DELETE of their
 * rows past ACTIVITY_KEEP. Heartbeats hand their samples to a batch (activityBatchOf), so an
 * idle fleet's once-a-minute rows cost a few statements per batch, not five per endpoint.
 */
export async function recordActivities(db: Knex, samples: readonly ActivitySample[]): Promise<void> {
  if (samples.length === 0) return;
  const ids = samples.map((sample) => sample.endpointId);
  const [minute, waiting] = await Promise.all([readNow(db).then(minuteOf), waitingPerEndpoint(db, ids)]);
  await db('endpoint_activity')
    .insert(samples.map((sample) => {
      const idle = Math.min(sample.idleWorkers, sample.totalWorkers);
      return {
        endpoint_id: sample.endpointId,
        minute,
        workers_busy: sample.totalWorkers - idle,
        workers_idle: idle,
        queued: (waiting.get(sample.endpointId) ?? 0) + sample.pendingInEndpoint,
      };
    }))
    .onConflict(['endpoint_id', 'minute'])
    .merge();
  await db('endpoint_activity').whereIn('endpoint_id', ids).andWhere('minute', '<', minute - ACTIVITY_KEEP).delete();
}

async function waitingPerEndpoint(db: Knex, endpointIds: readonly string[]): Promise<Map<string, number>> {
  const rows: { endpoint_id: string; n: number | string }[] = await db('tasks')
    .select('endpoint_id')
    .count({ n: '*' })
    .whereIn('endpoint_id', endpointIds)
    .andWhere('state', WAITING)
    .groupBy('endpoint_id');
  return new Map(rows.map((row) => [row.endpoint_id, Number(row.n)]));
}

/** Endpoints per upsert (five values each). */
const ACTIVITY_BATCH_ROWS = 500;
const batchOf = onePerDatabase((db) => new KeyedBatch<ActivitySample>((entries) => recordActivities(db, entries.map(([, sample]) => sample)), ACTIVITY_BATCH_ROWS));

/** The batch of one service instance (per database handle): record(sample) settles once its row is stored. */
export function activityBatchOf(db: Knex): { record(sample: ActivitySample, delayMs: number): Promise<void> } {
  const batch = batchOf(db);
  return { record: (sample, delayMs) => batch.add(sample.endpointId, sample, delayMs) };
}

/** Every endpoint's rows past ACTIVITY_KEEP (the maintenance purge). */
export async function purgeActivity(db: Knex): Promise<number> {
  return db('endpoint_activity').where('minute', '<', minuteOf(await readNow(db)) - ACTIVITY_KEEP).delete();
}

/**
 * The last `windowSeconds`, oldest minute first, ending with the current one.
 * A minute without a heartbeat has null worker and queue figures (the
 * endpoint said nothing then); finished counts every task that ended with a
 * result or an error, failed the latter alone.
 */
export async function readActivity(db: Knex, input: { endpointId: string; windowSeconds: number }): Promise<EndpointActivityResponse> {
  const last = minuteOf(await readNow(db));
  const count = Math.ceil((input.windowSeconds * 1000) / BUCKET);
  const first = last - (count - 1) * BUCKET;
  const minuteSql = dialectOf(db) === 'mysql' ? `(completed_at DIV ${BUCKET}) * ${BUCKET}` : `(completed_at / ${BUCKET}) * ${BUCKET}`;
  const [samples, completions] = await Promise.all([
    db('endpoint_activity').where('endpoint_id', input.endpointId).andWhere('minute', '>=', first)
      .select<{ minute: number | string; workers_busy: number; workers_idle: number; queued: number }[]>('minute', 'workers_busy', 'workers_idle', 'queued'),
    db('tasks').where('endpoint_id', input.endpointId).andWhere('completed_at', '>=', first).whereIn('state', [SUCCESS, FAILED])
      .select(db.raw(`${minuteSql} AS minute`), 'state')
      .count({ n: '*' })
      .groupByRaw(`${minuteSql}, state`) as Promise<{ minute: number | string; state: string; n: number | string }[]>,
  ]);
  const sampleAt = new Map(samples.map((s) => [Number(s.minute), s]));
  const finished = new Map<number, number>();
  const failed = new Map<number, number>();
  for (const row of completions) {
    const minute = Number(row.minute);
    finished.set(minute, (finished.get(minute) ?? 0) + Number(row.n));
    if (row.state === FAILED) failed.set(minute, (failed.get(minute) ?? 0) + Number(row.n));
  }
  const buckets = Array.from({ length: count }, (_, i) => {
    const minute = first + i * BUCKET;
    const sample = sampleAt.get(minute);
    return {
      t: new Date(minute).toISOString(),
      workers_busy: sample ? sample.workers_busy : null,
      workers_idle: sample ? sample.workers_idle : null,
      queued: sample ? sample.queued : null,
      finished: finished.get(minute) ?? 0,
      failed: failed.get(minute) ?? 0,
    };
  });
  return { bucket_seconds: (BUCKET / 1000) as 60, buckets };
}
