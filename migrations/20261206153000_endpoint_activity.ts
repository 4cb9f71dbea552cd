/**
 * The endpoint page's charts (GET /v3/endpoints/{id}/activity): one row per
 * endpoint per minute with the figures of the last heartbeat in that minute
 * (workers busy and idle, tasks queued), overwritten within the minute and
 * purged after ACTIVITY_KEEP, so the table stays at about 120 rows per live
 * endpoint. Finished and failed counts per minute come from the ledger; the
 * index on (endpoint_id, completed_at) lets that read touch only the window's
 * rows, however many finished tasks an endpoint keeps until retention.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('endpoint_activity', (t) => {
    // Like the other tables on MariaDB (its default charset may be latin1); SQLite refuses the call.
    if (knex.client.config.client === 'mysql2') {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.string('endpoint_id', 36).notNullable();
    t.bigInteger('minute').notNullable().comment('epoch ms of the minute\'s start, database clock');
    t.integer('workers_busy').notNullable();
    t.integer('workers_idle').notNullable();
    t.integer('queued').notNullable();
    t.primary(['endpoint_id', 'minute']);
    t.index(['minute'], 'endpoint_activity_purge_idx');
  });
  await knex.schema.alterTable('tasks', (t) => {
    t.index(['endpoint_id', 'completed_at'], 'tasks_endpoint_completed_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tasks', (t) => {
    t.dropIndex(['endpoint_id', 'completed_at'], 'tasks_endpoint_completed_idx');
  });
  await knex.schema.dropTable('endpoint_activity');
}
