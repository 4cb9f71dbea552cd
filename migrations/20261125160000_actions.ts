/**
 * The Action Provider's actions: one row per run, mapped to one task group of
 * the ledger, and the principals allowed to see or manage it (a table of its
 * own, so "actions I may monitor" is an indexed lookup rather than a scan of
 * JSON lists). Times are epoch milliseconds from the database clock, as in
 * the ledger.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const utf8 = (table: Knex.CreateTableBuilder): void => {
    if (knex.client.config.client !== 'mysql2') return;
    table.charset('utf8mb4');
    table.collate('utf8mb4_bin');
  };
  await knex.schema.createTable('actions', (t) => {
    utf8(t);
    t.string('id', 36).primary();
    t.string('creator', 256).notNullable();
    // request_id is any string: its SHA-256 keeps the unique index short and portable.
    t.string('request_key', 64).notNullable();
    t.text('request_id').notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('task_group_id', 36).notNullable();
    t.text('task_ids', 'mediumtext').notNullable(); // JSON array, in the body's task order
    t.string('label', 64).nullable();
    t.text('monitor_by').notNullable(); // JSON array of principal URNs (creator included)
    t.text('manage_by').notNullable();
    t.string('release_after', 64).notNullable(); // ISO 8601 duration as asked (or the default)
    t.bigInteger('release_after_ms').notNullable();
    t.bigInteger('deadline').nullable();
    t.string('status', 16).notNullable(); // ACTIVE until the outcome is recorded
    t.text('details', 'longtext').nullable(); // JSON: the final details, kept past the tasks' retention
    t.bigInteger('created_at').notNullable();
    t.bigInteger('completed_at').nullable();
    t.unique(['creator', 'request_key'], 'actions_request_idx');
    t.index(['creator', 'created_at'], 'actions_creator_idx');
    // Deadlines: WHERE status = 'ACTIVE' AND deadline < now. Release: WHERE completed_at < ...
    t.index(['status', 'deadline'], 'actions_deadline_idx');
    t.index(['completed_at'], 'actions_release_idx');
  });

  await knex.schema.createTable('action_principals', (t) => {
    utf8(t);
    t.string('action_id', 36).notNullable().references('actions.id').onDelete('CASCADE');
    t.string('role', 16).notNullable(); // monitor_by | manage_by
    t.string('principal', 300).notNullable();
    t.primary(['action_id', 'role', 'principal']);
    t.index(['principal', 'role'], 'action_principals_lookup_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('action_principals');
  await knex.schema.dropTableIfExists('actions');
}
