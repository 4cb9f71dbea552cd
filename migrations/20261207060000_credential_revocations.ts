/**
 * credential_revocations: one row per endpoint credential revoked, rotated or deleted, written
 * in the same transaction as the change (src/registry/credentialRevocations.ts). Each service
 * instance reads the recent rows at most once per CREDENTIAL_CHECK_MS instead of looking up a
 * known credential on every call, so an idle fleet's polls cost no credential query while a
 * revocation through any replica is still refused on every replica within that bound. Rows
 * live an hour (pruned by maintenance's purge); the index serves the readers' "since" query.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credential_revocations', (t) => {
    if (knex.client.config.client === 'mysql2') {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.bigIncrements('id');
    t.string('endpoint_id', 36).notNullable();
    t.bigInteger('revoked_at').notNullable().comment('epoch ms, database clock');
    t.index(['revoked_at'], 'credential_revocations_revoked_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('credential_revocations');
}
