/**
 * Every ledger and API test runs on each database: a fresh SQLite file, and a
 * fresh database on the private MariaDB server when one is running (see
 * scripts/run-tests.ts). Without MariaDB those variants are registered as
 * skipped, so ava's summary shows them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { openDatabase } from '../../src/db/connect.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { partRequired } from './requiredParts.js';

export type DatabaseKind = 'sqlite' | 'mariadb';
export const MYSQL_BASE_URL = process.env.FUNCX_TEST_MYSQL_URL;
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'mariadb'];

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  /** A temp folder for this test (FUNCX_HOME, files); removed at cleanup. */
  dir: string;
  /** Opens another connection pool on the same database (as another replica would). */
  open(): Knex;
  cleanup(): Promise<void>;
}

/** An empty database (not migrated) of the given kind, with its own temp folder. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-test-'));
  const pools: Knex[] = [];
  let url: string;
  let dropDatabase = async () => {};
  if (kind === 'sqlite') {
    url = `sqlite://${path.join(dir, 'funcx.sqlite3')}`;
  } else {
    if (!MYSQL_BASE_URL) throw new Error('no MariaDB server for this test run');
    const name = `fx_${randomBytes(6).toString('hex')}`;
    const admin = openDatabase(MYSQL_BASE_URL, { poolMax: 2 });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.destroy();
    url = MYSQL_BASE_URL + name;
    dropDatabase = async () => {
      const dropper = openDatabase(MYSQL_BASE_URL, { poolMax: 2 });
      await dropper.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.destroy();
    };
  }
  return {
    kind,
    url,
    dir,
    open() {
      const pool = openDatabase(url, { poolMax: 20 });
      pools.push(pool);
      return pool;
    },
    async cleanup() {
      await Promise.all(pools.map((p) => p.destroy()));
      await dropDatabase();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A migrated database, cleaned up when the test ends (pass or fail). */
export async function migratedDatabase(t: ExecutionContext, kind: DatabaseKind): Promise<{ db: Knex; database: TestDatabase }> {
  const database = await createTestDatabase(kind);
  t.teardown(() => database.cleanup());
  const db = database.open();
  await migrateLatest(db);
  return { db, database };
}

/**
 * Registers `title [sqlite]` and `title [mariadb]`, each running `run` with its
 * database kind; the MariaDB variant is skipped (and counted, so the summary
 * shows it) when no server runs. Every per-database helper goes through here.
 */
export function registerPerDatabase(
  title: string,
  run: (t: ExecutionContext, kind: DatabaseKind) => Promise<void>,
  options: { serial?: boolean } = {},
): void {
  const register = options.serial ? test.serial : test;
  for (const kind of DATABASE_KINDS) {
    const name = `${title} [${kind}]`;
    if (kind === 'mariadb' && !MYSQL_BASE_URL && partRequired('FUNCX_TEST_REQUIRE_MARIADB')) {
      register(name, (t) => t.fail('no MariaDB server (FUNCX_TEST_MYSQL_URL unset) and MariaDB is required (FUNCX_TEST_REQUIRE_ALL or FUNCX_TEST_REQUIRE_MARIADB)'));
    } else if (kind === 'mariadb' && !MYSQL_BASE_URL) register.skip(name, () => {});
    else register(name, (t) => run(t, kind));
  }
}

/** The implementation gets a migrated database of each kind. */
export function testOnEachDatabase(
  title: string,
  implementation: (t: ExecutionContext, db: Knex, database: TestDatabase) => Promise<void>,
  options: { serial?: boolean } = {},
): void {
  registerPerDatabase(title, async (t, kind) => {
    const { db, database } = await migratedDatabase(t, kind);
    await implementation(t, db, database);
  }, options);
}

/**
 * Like testOnEachDatabase, for tests that manage the database themselves
 * (unmigrated, or used by child processes): a fresh empty database per kind.
 */
export function testOnEachEmptyDatabase(title: string, implementation: (t: ExecutionContext, database: TestDatabase) => Promise<void>): void {
  registerPerDatabase(title, async (t, kind) => {
    const database = await createTestDatabase(kind);
    t.teardown(() => database.cleanup());
    await implementation(t, database);
  });
}
