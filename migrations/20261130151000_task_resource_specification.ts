/**
 * A task may carry a resource_specification (nodes and MPI ranks it needs):
 * stored as the JSON the submitter sent, null for an ordinary task, and handed
 * to the endpoint with the lease. The service checks it is consistent at
 * submit; only the endpoint knows whether its blocks can satisfy it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.text('resource_specification').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('resource_specification');
  });
}
