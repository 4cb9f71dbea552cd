/**
 * Why an endpoint is not online, why a task waits, and what a running task prints.
 *
 * endpoints: the agent's last word on why it went away (`state_event`: offline after a clean stop,
 * failed after a fatal error; `state_detail` says who stopped it or the error; `state_at` when),
 * cleared by its next heartbeat; `online_since`: the heartbeat that ended a silence.
 * tasks: `waiting_for_launch_since`, like waiting_for_nodes_since: leased and held by the agent,
 * not yet on a worker (a worker is busy).
 * task_output: the last bytes a task printed (stdout and stderr together), one row per task,
 * `start_offset`..`end_offset` the byte range of the stream kept in `text` (MEDIUMTEXT on MySQL: up
 * to 1 MiB is kept per task). A retried task's new attempt continues the same stream after a
 * marker line. Deleted with its task by the retention purge.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('endpoints', (t) => {
    t.string('state_event', 16).nullable();
    t.text('state_detail').nullable();
    t.bigInteger('state_at').nullable();
    t.bigInteger('online_since').nullable();
  });
  await knex.schema.alterTable('tasks', (t) => {
    t.bigInteger('waiting_for_launch_since').nullable();
  });
  await knex.schema.createTable('task_output', (t) => {
    t.string('task_id', 36).primary();
    t.string('endpoint_id', 36).notNullable();
    t.text('text', 'mediumtext').notNullable();
    t.bigInteger('start_offset').notNullable();
    t.bigInteger('end_offset').notNullable();
    t.bigInteger('kept_bytes').notNullable();
    // The attempt whose output arrives (its lease token), and where its offset 0 sits in the stream: a retry starts again at 0.
    t.string('lease_token', 128).notNullable();
    t.bigInteger('attempt_base').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['updated_at'], 'task_output_updated_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('task_output');
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('waiting_for_launch_since');
  });
  await knex.schema.alterTable('endpoints', (t) => {
    t.dropColumn('online_since');
    t.dropColumn('state_at');
    t.dropColumn('state_detail');
    t.dropColumn('state_event');
  });
}
