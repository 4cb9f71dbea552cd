/**
 * When a local API token stops working (api_tokens.expires_at, epoch ms from the database
 * clock; null: never). `funcx-service token create --expires 90d` sets it; every request
 * compares it with the database's clock (src/registry/tokens.ts), so an expired token is
 * refused by every replica at the same moment. Existing tokens keep null (no expiry).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_tokens', (t) => {
    t.bigInteger('expires_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_tokens', (t) => {
    t.dropColumn('expires_at');
  });
}
