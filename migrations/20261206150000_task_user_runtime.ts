/**
 * The submitter's runtime (tasks.user_runtime): the JSON object an SDK sends
 * with a submit (Python version and implementation, SDK version, platform), as
 * upstream's user_runtime. A multi-user endpoint renders it into the per-user
 * endpoint's config (_GC.user_runtime), and it is part of user_config_key, so
 * submitters on different runtimes get different per-user endpoint processes.
 * Null: the SDK sent none.
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
