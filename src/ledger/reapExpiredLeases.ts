/**
 * Returns tasks whose lease ran out (the endpoint died, hung, or lost its
 * network) to the queue with the attempt counted, or fails them past the retry
 * limit with EndpointLost. Every replica runs it; SKIP LOCKED keeps them apart.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { nowSql, readNow } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { loseAttempt } from './loseAttempt.js';
import { RUNNING } from './model.js';

export interface Reaped {
  requeued: { taskId: string; endpointId: string }[];
  failed: { taskId: string; endpointId: string }[];
}

export async function reapExpiredLeases(db: Knex, input: { maxRetries: number; limit?: number }): Promise<Reaped> {
  return inTransaction(db, async (trx) => {
    const pick = trx('tasks')
      .select('id', 'endpoint_id', 'attempts', 'lease_token', 'leased_at', 'attempt_history')
      .where('state', RUNNING)
      .andWhere('lease_expires_at', '<', trx.raw(nowSql(trx)))
      .orderBy('lease_expires_at')
      .limit(input.limit ?? 500);
    if (dialectOf(db) === 'mysql') pick.forUpdate().skipLocked();
    const rows = await pick;
    const reaped: Reaped = { requeued: [], failed: [] };
    if (rows.length === 0) return reaped;
    const dbNow = await readNow(trx);
    for (const row of rows) {
      const outcome = await loseAttempt(trx, row, {
        reason: 'EndpointLost',
        message: 'the endpoint stopped renewing its lease on the task',
        dbNow,
        maxRetries: input.maxRetries,
      });
      reaped[outcome].push({ taskId: row.id, endpointId: row.endpoint_id });
    }
    return reaped;
  });
}
