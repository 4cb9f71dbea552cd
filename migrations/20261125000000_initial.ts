/**
 * The first schema: identities' tokens, functions, endpoints, and the task ledger.
 * Times are BIGINT epoch milliseconds from the database clock (portable across
 * SQLite and MySQL, and comparable without time-zone surprises).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const utf8 = (table: Knex.CreateTableBuilder): void => {
    // MariaDB's default charset may be latin1; SQLite is always UTF-8 (and knex refuses the call there).
    if (knex.client.config.client !== 'mysql2') return;
    table.charset('utf8mb4');
    table.collate('utf8mb4_bin');
  };
  await knex.schema.createTable('api_tokens', (t) => {
    utf8(t);
    t.string('id', 36).primary();
    t.string('token_hash', 64).notNullable().unique();
    t.string('identity', 256).notNullable().index();
    t.text('groups').notNullable(); // JSON array of group ids
    t.string('description', 256).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('revoked_at').nullable();
  });

  await knex.schema.createTable('functions', (t) => {
    utf8(t);
    t.string('id', 36).primary();
    t.string('owner', 256).notNullable().index();
    t.string('name', 256).notNullable();
    t.string('runtime', 16).notNullable();
    t.text('source', 'mediumtext').notNullable();
    t.string('entry_point', 256).nullable();
    t.text('description').notNullable();
    t.boolean('public').notNullable().defaultTo(false);
    t.boolean('searchable').notNullable().defaultTo(false);
    t.text('metadata').notNullable(); // JSON object
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    // Deleted functions stay for tasks already queued to them; the API no longer shows them.
    t.bigInteger('deleted_at').nullable();
  });

  await knex.schema.createTable('function_groups', (t) => {
    utf8(t);
    t.string('function_id', 36).notNullable().references('functions.id').onDelete('CASCADE');
    t.string('group_id', 128).notNullable();
    t.primary(['function_id', 'group_id']);
    t.index(['group_id']);
  });

  await knex.schema.createTable('endpoints', (t) => {
    utf8(t);
    t.string('id', 36).primary();
    t.string('owner', 256).notNullable().index();
    t.string('name', 128).notNullable();
    t.string('display_name', 256).notNullable();
    t.boolean('public').notNullable().defaultTo(false);
    t.text('metadata').notNullable(); // JSON object
    t.string('credential_hash', 64).nullable().unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('last_heartbeat_at').nullable();
    t.text('last_report').nullable(); // JSON: the latest heartbeat
    t.bigInteger('deleted_at').nullable();
  });

  await knex.schema.createTable('endpoint_allowed_functions', (t) => {
    utf8(t);
    t.string('endpoint_id', 36).notNullable().references('endpoints.id').onDelete('CASCADE');
    t.string('function_id', 36).notNullable();
    t.primary(['endpoint_id', 'function_id']);
  });

  await knex.schema.createTable('endpoint_allowed_groups', (t) => {
    utf8(t);
    t.string('endpoint_id', 36).notNullable().references('endpoints.id').onDelete('CASCADE');
    t.string('group_id', 128).notNullable();
    t.primary(['endpoint_id', 'group_id']);
    t.index(['group_id']);
  });

  await knex.schema.createTable('endpoint_heartbeats', (t) => {
    utf8(t);
    t.bigIncrements('seq').primary();
    t.string('endpoint_id', 36).notNullable();
    t.bigInteger('at').notNullable();
    t.text('report').notNullable(); // JSON
    t.index(['endpoint_id', 'seq']);
  });

  await knex.schema.createTable('task_groups', (t) => {
    utf8(t);
    t.string('id', 36).primary();
    t.string('submitter', 256).notNullable();
    t.bigInteger('created_at').notNullable();
  });

  // One row per accepted submit request: what makes a retried submit idempotent.
  await knex.schema.createTable('submissions', (t) => {
    utf8(t);
    t.string('id', 36).primary();
    t.string('submitter', 256).notNullable();
    t.string('dedupe_key', 300).notNullable();
    t.string('body_hash', 64).notNullable();
    t.text('response', 'mediumtext').notNullable(); // JSON: the response first given
    t.bigInteger('created_at').notNullable();
    t.unique(['submitter', 'dedupe_key']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('tasks', (t) => {
    utf8(t);
    // A sequential key keeps InnoDB inserts appending and gives FIFO order for leasing.
    t.bigIncrements('seq').primary();
    t.string('id', 36).notNullable().unique();
    t.string('task_group_id', 36).notNullable();
    t.string('function_id', 36).notNullable();
    t.string('endpoint_id', 36).notNullable();
    t.string('submitter', 256).notNullable();
    t.text('payload', 'longtext').notNullable();
    t.string('serializer', 16).notNullable();
    t.string('state', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('lease_token', 64).nullable();
    t.bigInteger('lease_expires_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('leased_at').nullable();
    t.bigInteger('completed_at').nullable();
    t.text('result', 'longtext').nullable();
    t.string('result_serializer', 16).nullable();
    t.text('exception', 'mediumtext').nullable(); // JSON {type, message, traceback?, serialized?}
    t.text('attempt_history').nullable(); // JSON array of lost attempts
    // Leasing: WHERE endpoint_id = ? AND state = 'waiting-for-ep' ORDER BY seq.
    t.index(['endpoint_id', 'state', 'seq'], 'tasks_lease_idx');
    // Reaping: WHERE state = 'running' AND lease_expires_at < now.
    t.index(['state', 'lease_expires_at'], 'tasks_reap_idx');
    t.index(['completed_at'], 'tasks_purge_idx');
    t.index(['task_group_id', 'seq'], 'tasks_group_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'tasks', 'submissions', 'task_groups', 'endpoint_heartbeats', 'endpoint_allowed_groups',
    'endpoint_allowed_functions', 'endpoints', 'function_groups', 'functions', 'api_tokens',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
