/**
 * Which of the tasks an endpoint holds are cancelled (the cancel watch,
 * routes/endpointCancels.ts). Scoped to the endpoint, so a credential learns
 * nothing about other endpoints' tasks. By primary key lookups (the unique id
 * index), in chunks.
 */
import type { Knex } from 'knex';
import { CANCELLED } from './model.js';

/** `endpointIds`: the queues the endpoint leases from (a per-user endpoint's own and its multi-user endpoint's). */
export async function readCancelled(db: Knex, input: { endpointIds: readonly string[]; taskIds: readonly string[] }): Promise<string[]> {
  const cancelled: string[] = [];
  const queues = new Set(input.endpointIds);
  const unique = [...new Set(input.taskIds.map((id) => id.toLowerCase()))];
  for (let start = 0; start < unique.length; start += 500) {
    // By id alone, the endpoint and state checked here: given the endpoint and the state too,
    // SQLite's planner reads every cancelled task of the endpoint through the lease index
    // (endpoint_id, state, seq), however few ids are asked (as readTasks.ts's byIdOnly says).
    const rows: { id: string; endpoint_id: string; state: string }[] = await db('tasks')
      .select('id', 'endpoint_id', 'state')
      .whereIn('id', unique.slice(start, start + 500));
    for (const row of rows) if (row.state === CANCELLED && queues.has(row.endpoint_id)) cancelled.push(row.id);
  }
  return cancelled;
}
