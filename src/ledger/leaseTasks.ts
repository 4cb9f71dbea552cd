/**
 * Hands up to `maxTasks` waiting tasks of one endpoint to that endpoint, FIFO.
 *
 * One short transaction: pick the rows (on MySQL `FOR UPDATE SKIP LOCKED`, so
 * concurrent pollers skip each other's rows instead of waiting or deadlocking;
 * SQLite has a single writer), then mark them running under a fresh random
 * lease token whose expiry comes from the database clock.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { now, nowPlus } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { RUNNING, WAITING, type Serializer } from './model.js';

export interface LeasedTask {
  taskId: string;
  attempt: number;
  leaseToken: string;
  functionId: string;
  taskGroupId: string;
  payload: string;
  serializer: Serializer;
}

export async function leaseTasks(
  db: Knex,
  input: { endpointId: string; maxTasks: number; leaseMs: number },
): Promise<LeasedTask[]> {
  return inTransaction(db, async (trx) => {
    const pick = trx('tasks')
      .select('seq', 'id', 'function_id', 'task_group_id', 'payload', 'serializer', 'attempts')
      .where({ endpoint_id: input.endpointId, state: WAITING })
      .orderBy('seq')
      .limit(input.maxTasks);
    if (dialectOf(db) === 'mysql') pick.forUpdate().skipLocked();
    const rows = await pick;
    if (rows.length === 0) return [];

    // One token per lease call: every result and heartbeat must present it.
    const leaseToken = randomBytes(18).toString('base64url');
    await trx('tasks')
      .whereIn('seq', rows.map((row) => row.seq))
      .update({
        state: RUNNING,
        lease_token: leaseToken,
        lease_expires_at: nowPlus(trx, input.leaseMs),
        leased_at: now(trx),
        attempts: trx.raw('attempts + 1'),
        waiting_for_nodes_since: null, // a new lease: nothing reported under it yet
      });
    return rows.map((row) => ({
      taskId: row.id,
      attempt: Number(row.attempts) + 1,
      leaseToken,
      functionId: row.function_id,
      taskGroupId: row.task_group_id,
      payload: row.payload,
      serializer: row.serializer,
    }));
  });
}
