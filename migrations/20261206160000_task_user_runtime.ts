/**
 * A task may carry its submitter's user_runtime (what the client runs on: SDK,
 * Python and platform versions, as Globus Compute's SDKs send with every
 * submit): stored as the JSON sent, null when none was, and handed to the
 * endpoint with the lease, where a multi-user config template can read it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.text('user_runtime').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('user_runtime');
  });
}
