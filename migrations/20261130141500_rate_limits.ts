/**
 * rate_limits: the request budgets every replica shares (src/limits/sharedBudgets.ts). One row
 * per (bucket, key): `identity` rows per user or endpoint, `refused` rows per client address.
 * `tat` (database clock, ms, fractional) is when that key's budget is whole again; a row whose
 * tat has passed says nothing and is pruned (src/maintenance.ts). The index serves both the
 * pruning and the read of addresses that are out of budget.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    // Binary on MariaDB: 'user:Alice' and 'user:alice' are two identities (SQLite compares bytes already).
    if (knex.client.config.client === 'mysql2') {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.string('bucket', 16).notNullable();
    t.string('bucket_key', 200).notNullable();
    t.double('tat').notNullable();
    t.primary(['bucket', 'bucket_key']);
    t.index(['bucket', 'tat'], 'rate_limits_bucket_tat');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
