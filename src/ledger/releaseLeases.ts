/**
 * An endpoint stopping cleanly hands back tasks it leased but will not finish.
 * They go back to the queue at once (no wait for the lease to expire) and the
 * attempt is not counted: nothing was lost, the endpoint just left.
 */
import type { Knex } from 'knex';
import { inTransaction } from '../db/transaction.js';
import { RUNNING, WAITING } from './model.js';
import type { HeldLease } from './extendLeases.js';

/**
 * The columns that put a running task back in the queue with its lease gone and its attempt
 * uncounted: a hand-back here, a returned lease in reconcileLeases.ts.
 */
export function requeuedUncounted(trx: Knex): Record<string, unknown> {
  return { state: WAITING, lease_token: null, lease_expires_at: null, leased_at: null, attempts: trx.raw('attempts - 1'), waiting_for_nodes_since: null, waiting_for_launch_since: null };
}

export async function releaseLeases(db: Knex, input: { endpointId: string; leases: readonly HeldLease[] }): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    const released: string[] = [];
    for (const lease of input.leases) {
      const changed = await trx('tasks')
        .where({ id: lease.task_id, endpoint_id: input.endpointId, lease_token: lease.lease_token, state: RUNNING })
        .update(requeuedUncounted(trx));
      if (changed > 0) released.push(lease.task_id);
    }
    return released;
  });
}
