/**
 * On SQLite, the three task indexes whose column is NULL for most of a task's life become partial
 * indexes of the rows where it is set: a submitted task then updates six B-trees, not nine.
 * - tasks_reap_idx (state, lease_expires_at): only a leased task has an expiry to reap by;
 * - tasks_purge_idx (completed_at) and tasks_endpoint_completed_idx (endpoint_id, completed_at):
 *   only a finished task has a completion time to purge or chart by.
 * Every query that reads them compares the column (`< ?`, `>= ?`), which implies IS NOT NULL, so
 * SQLite's planner still uses them (test/ledger/sqlite.store-first-and-partial-indexes.test.ts checks the plans).
 * MariaDB has no partial indexes; there this migration does nothing.
 */
import type { Knex } from 'knex';

const PARTIAL = [
  { name: 'tasks_reap_idx', columns: '`state`, `lease_expires_at`', column: 'lease_expires_at' },
  { name: 'tasks_purge_idx', columns: '`completed_at`', column: 'completed_at' },
  { name: 'tasks_endpoint_completed_idx', columns: '`endpoint_id`, `completed_at`', column: 'completed_at' },
];

const isSqlite = (knex: Knex) => knex.client.config.client !== 'mysql2';

export async function up(knex: Knex): Promise<void> {
  if (!isSqlite(knex)) return;
  for (const index of PARTIAL) {
    await knex.raw(`DROP INDEX IF EXISTS \`${index.name}\``);
    await knex.raw(`CREATE INDEX \`${index.name}\` ON \`tasks\` (${index.columns}) WHERE \`${index.column}\` IS NOT NULL`);
  }
}

export async function down(knex: Knex): Promise<void> {
  if (!isSqlite(knex)) return;
  for (const index of PARTIAL) {
    await knex.raw(`DROP INDEX IF EXISTS \`${index.name}\``);
    await knex.raw(`CREATE INDEX \`${index.name}\` ON \`tasks\` (${index.columns})`);
  }
}
