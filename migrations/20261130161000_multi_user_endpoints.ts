/**
 * Multi-user endpoints (docs/multi-user-endpoints.md).
 *
 * endpoints: `multi_user` marks an endpoint an administrator runs for many
 * users (it runs no task itself); `allow_any_user` lets every authenticated
 * user submit to it. A per-user endpoint is a child row: `parent_id` names the
 * multi-user endpoint, `serves_identity` the one user whose tasks it may
 * lease, `user_config_key` the one set of user settings it was started with
 * (so each distinct set is its own process); `last_error` is what the
 * multi-user endpoint last reported going wrong for it.
 *
 * tasks: `user_endpoint_config` is the submitter's settings (JSON, the field
 * upstream SDKs send); `user_config_key` their canonical hash, so a per-user
 * endpoint leases exactly the tasks of its user and settings by index.
 *
 * submitter_claims: the identity claims (username, email, ...) last seen for
 * an identity that submitted to a multi-user endpoint, for identity mapping.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  const isMysql = knex.client.config.client === 'mysql2';
  await knex.schema.alterTable('endpoints', (t) => {
    t.boolean('multi_user').notNullable().defaultTo(false);
    t.boolean('allow_any_user').notNullable().defaultTo(false);
    t.string('parent_id', 36).nullable();
    t.string('serves_identity', 256).nullable();
    t.string('user_config_key', 64).nullable();
    t.text('last_error').nullable();
    // One per-user endpoint per (parent, user, settings): creating it twice finds the first.
    t.unique(['parent_id', 'serves_identity', 'user_config_key'], { indexName: 'endpoints_user_endpoint_idx' });
  });
  await knex.schema.alterTable('tasks', (t) => {
    t.text('user_endpoint_config').nullable();
    t.string('user_config_key', 64).nullable();
    // A per-user endpoint leases: WHERE endpoint_id = parent AND submitter = ? AND user_config_key = ? AND state = waiting ORDER BY seq.
    t.index(['endpoint_id', 'submitter', 'user_config_key', 'state', 'seq'], 'tasks_user_lease_idx');
  });
  await knex.schema.createTable('submitter_claims', (t) => {
    if (isMysql) {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.string('identity', 256).primary();
    t.text('claims').notNullable(); // JSON object
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('submitter_claims');
  await knex.schema.alterTable('tasks', (t) => {
    t.dropIndex(['endpoint_id', 'submitter', 'user_config_key', 'state', 'seq'], 'tasks_user_lease_idx');
    t.dropColumn('user_config_key');
    t.dropColumn('user_endpoint_config');
  });
  await knex.schema.alterTable('endpoints', (t) => {
    t.dropUnique(['parent_id', 'serves_identity', 'user_config_key'], 'endpoints_user_endpoint_idx');
    for (const column of ['last_error', 'user_config_key', 'serves_identity', 'parent_id', 'allow_any_user', 'multi_user']) t.dropColumn(column);
  });
}
