/**
 * A per-user endpoint's lease: up to `maxTasks` waiting tasks that are its
 * user's, with its settings, submitted to its multi-user endpoint, plus any
 * task already routed to it and requeued (its process died and the lease ran
 * out), FIFO. Leasing moves a task to the per-user endpoint (its endpoint_id
 * becomes the child's), so results, heartbeats, releases and the reaper work
 * on it exactly as for any endpoint, and a requeued task stays with the one
 * user it belongs to.
 *
 * One short transaction, as leaseTasks: pick (SKIP LOCKED on MySQL), then mark
 * running under a fresh lease token with a database-clock expiry, recording
 * the leasing agent's session (leased_by) as leaseTasks does.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { now, nowPlus } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { RUNNING, WAITING } from './model.js';
import { leasedTask, newLeaseToken, payloadBytesSql, withinByteBudget, type LeasedTask } from './leaseTasks.js';

export interface UserEndpointScope {
  endpointId: string;
  parentId: string;
  identity: string;
  userConfigKey: string;
}

const COLUMNS = ['seq', 'id', 'function_id', 'task_group_id', 'payload', 'serializer', 'attempts', 'resource_specification', 'user_runtime', 'created_at'] as const;

export async function leaseUserTasks(db: Knex, input: UserEndpointScope & { maxTasks: number; leaseMs: number; session?: string; maxBytes?: number }): Promise<LeasedTask[]> {
  return inTransaction(db, async (trx) => {
    const bytes = trx.raw(`${payloadBytesSql(trx)} AS payload_bytes`);
    const fresh = trx('tasks')
      .select(...COLUMNS, bytes)
      .where({ endpoint_id: input.parentId, submitter: input.identity, user_config_key: input.userConfigKey, state: WAITING })
      .orderBy('seq')
      .limit(input.maxTasks);
    const requeued = trx('tasks')
      .select(...COLUMNS, bytes)
      .where({ endpoint_id: input.endpointId, state: WAITING })
      .orderBy('seq')
      .limit(input.maxTasks);
    if (dialectOf(db) === 'mysql') {
      fresh.forUpdate().skipLocked();
      requeued.forUpdate().skipLocked();
    }
    // The byte budget (leaseTasks.ts) applies to the merged, oldest-first rows.
    const rows = withinByteBudget([...(await requeued), ...(await fresh)].sort((a, b) => Number(a.seq) - Number(b.seq)).slice(0, input.maxTasks), input.maxBytes);
    if (rows.length === 0) return [];

    const leaseToken = newLeaseToken();
    await trx('tasks')
      .whereIn('seq', rows.map((row) => row.seq))
      .update({
        endpoint_id: input.endpointId,
        state: RUNNING,
        lease_token: leaseToken,
        leased_by: input.session ?? null, // the agent session: what a reconcile is scoped to
        lease_expires_at: nowPlus(trx, input.leaseMs),
        leased_at: now(trx),
        attempts: trx.raw('attempts + 1'),
        waiting_for_nodes_since: null,
        waiting_for_launch_since: null,
      });
    return rows.map((row) => leasedTask(row, leaseToken, Number(row.attempts) + 1));
  });
}
