/**
 * Heartbeat reports carry free-form `details` (provider, blocks, managers):
 * a mid-size Slurm endpoint's exceeds MySQL's TEXT (64 KB). MEDIUMTEXT holds
 * 16 MB; the service also bounds what it stores (src/registry/heartbeats.ts).
 * SQLite's TEXT has no such limit: nothing to do there.
 */
import type { Knex } from 'knex';

const isMysql = (knex: Knex) => knex.client.config.client === 'mysql2';

export async function up(knex: Knex): Promise<void> {
  if (!isMysql(knex)) return;
  await knex.raw('ALTER TABLE endpoints MODIFY last_report MEDIUMTEXT NULL');
  await knex.raw('ALTER TABLE endpoint_heartbeats MODIFY report MEDIUMTEXT NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  if (!isMysql(knex)) return;
  await knex.raw('ALTER TABLE endpoint_heartbeats MODIFY report TEXT NOT NULL');
  await knex.raw('ALTER TABLE endpoints MODIFY last_report TEXT NULL');
}
