/**
 * wakeup_events: what each replica announces to the others so their long-polls wake at once
 * (src/fleet/replicaRelay.ts): a row per burst of wake-ups, its keys (`endpoint:ID`,
 * `task:ID`) as a JSON array, the replica it came from, and when (database clock, ms). Rows
 * live about a minute; replicas read them by id.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('wakeup_events', (t) => {
    t.bigIncrements('id');
    t.string('origin', 32).notNullable();
    t.bigInteger('created_at').notNullable();
    t.text('wake_keys', 'mediumtext').notNullable();
    t.index(['created_at'], 'wakeup_events_created_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('wakeup_events');
}
