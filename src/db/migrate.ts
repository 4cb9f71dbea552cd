/**
 * Applies the migrations. Safe when several service replicas start at once:
 * on MySQL an advisory lock (GET_LOCK) serializes them; on SQLite, which has one
 * writer, a replica that loses the race for knex's lock waits and tries again. Either way a
 * replica waits up to LOCK_WAIT_SECONDS for another's migrations.
 */
import type { Knex } from 'knex';
import { MIGRATIONS, type Migration } from '../../migrations/index.js';
import { dialectOf } from './connect.js';
import { fullJitter } from '../util/backoff.js';
import { sleep } from '../util/time.js';

const LOCK_NAME = 'funcx_migrations';
const LOCK_WAIT_SECONDS = 120;

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

/** Returns the names of the migrations this call applied. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  if (dialectOf(db) === 'mysql') return withMysqlLock(db, () => runLatest(db));
  // As long as MySQL's lock wait: another replica's migrations on a loaded machine can hold knex's
  // lock longer than a count of tries allowed (60 tries, 12-18 s, ran out in a CI run).
  const deadline = Date.now() + LOCK_WAIT_SECONDS * 1000;
  for (;;) {
    try {
      return await runLatest(db);
    } catch (error) {
      // Another process holds knex's migration lock or created its tables first.
      const message = String((error as Error)?.message);
      const racing = /already locked|already exists|SQLITE_BUSY/i.test(message) || (error as Error)?.name === 'MigrationLocked';
      if (!racing || Date.now() >= deadline) throw error;
      await sleep(100 + fullJitter(200)); // a steady look for the other's end, spread out
    }
  }
}

/**
 * Migrations this build knows that the database has not applied (for /readyz).
 * Reads knex's own table, so it costs one small query and never takes the lock.
 */
export async function pendingMigrations(db: Knex): Promise<string[]> {
  const hasTable = await db.schema.hasTable('knex_migrations');
  const applied = hasTable ? new Set((await db('knex_migrations').select('name')).map((row: { name: string }) => row.name)) : new Set<string>();
  return MIGRATIONS.map((m) => m.name).filter((name) => !applied.has(name));
}

async function runLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}

async function withMysqlLock<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  // GET_LOCK belongs to a connection: hold one connection for the lock's lifetime.
  const connection = await db.client.acquireConnection();
  try {
    const [rows] = await connection.promise().query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_WAIT_SECONDS]);
    if (Number(rows[0].got) !== 1) throw new Error(`timed out after ${LOCK_WAIT_SECONDS}s waiting for another replica's migrations`);
    try {
      return await work();
    } finally {
      await connection.promise().query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    await db.client.releaseConnection(connection);
  }
}
