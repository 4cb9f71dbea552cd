/**
 * Listing tasks newest first, keyset-paged (GET /v3/tasks, GET
 * /v3/endpoints/{id}/tasks; src/ledger/listTasks.ts): a page is
 * `WHERE submitter = ? AND created_at <= ? AND (created_at < ? OR seq < ?)
 * ORDER BY created_at DESC, seq DESC LIMIT n`, which these indexes answer by
 * reading n entries backwards from the cursor, however many tasks the caller
 * has (no OFFSET scan, no sort). The plans are in docs/benchmarks.md.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.index(['submitter', 'created_at', 'seq'], 'tasks_submitter_recent_idx');
    t.index(['endpoint_id', 'created_at', 'seq'], 'tasks_endpoint_recent_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.dropIndex(['submitter', 'created_at', 'seq'], 'tasks_submitter_recent_idx');
    t.dropIndex(['endpoint_id', 'created_at', 'seq'], 'tasks_endpoint_recent_idx');
  });
}
