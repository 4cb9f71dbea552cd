/**
 * Which of the tasks an endpoint holds are cancelled (the cancel watch,
 * routes/endpointCancels.ts). Scoped to the endpoint, so a credential learns
 * nothing about other endpoints' tasks. By primary key lookups (the unique id
 * index), in chunks.
 */
import type { Knex } from 'knex';
import { CANCELLED } from './model.js';
import { offIndex } from './offIndex.js';

/** `endpointIds`: the queues the endpoint leases from (a per-user endpoint's own and its multi-user endpoint's). */
export async function readCancelled(db: Knex, input: { endpointIds: readonly string[]; taskIds: readonly string[] }): Promise<string[]> {
  const cancelled: string[] = [];
  const unique = [...new Set(input.taskIds.map((id) => id.toLowerCase()))];
  for (let start = 0; start < unique.length; start += 500) {
    const rows: { id: string }[] = await db('tasks')
      .select('id')
      .whereIn('id', unique.slice(start, start + 500))
      // Off the index: SQLite otherwise read tasks_lease_idx (endpoint_id, state), every task the endpoint ever had cancelled.
      .andWhereRaw(...offIndex('endpoint_id', input.endpointIds))
      .andWhereRaw(...offIndex('state', [CANCELLED]));
    cancelled.push(...rows.map((row) => row.id));
  }
  return cancelled;
}
