/**
 * A leased task's endpoint may say the task waits for nodes (its block is
 * still in the scheduler's queue) rather than runs on a worker. The column
 * holds when it first said so under the current lease (epoch ms, database
 * clock), and is null otherwise: while it is set, the task is reported as
 * `waiting-for-nodes`. The ledger's own states are unchanged.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.bigInteger('waiting_for_nodes_since').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('waiting_for_nodes_since');
  });
}
