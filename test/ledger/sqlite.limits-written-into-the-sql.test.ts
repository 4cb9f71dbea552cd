/**
 * On SQLite every LIMIT is written into the statement's text, never bound (src/db/sqliteClient.ts):
 * SQLite recompiles a statement whose bound LIMIT is bound again, which knex does on every run.
 * Counted from knex's query events on a real SQLite file: the SQL and its bindings.
 */
import test from 'ava';
import type { Knex } from 'knex';
import { createTestDatabase } from '../helpers/databases.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { inlineLimit } from '../../src/db/sqliteClient.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { functionAndEndpoint, queue } from './fixtures.js';

interface Sent { sql: string; bindings: unknown[] }

async function sentBy<T>(db: Knex, work: () => Promise<T>): Promise<{ result: T; sent: Sent[] }> {
  const sent: Sent[] = [];
  const onQuery = (query: { sql: string; bindings?: unknown[] }) => sent.push({ sql: query.sql, bindings: query.bindings ?? [] });
  db.on('query', onQuery);
  try {
    return { result: await work(), sent };
  } finally {
    db.off('query', onQuery);
  }
}

async function withSqlite(work: (db: Knex) => Promise<void>): Promise<void> {
  const database = await createTestDatabase('sqlite');
  const db = database.open();
  try {
    await migrateLatest(db);
    await work(db);
  } finally {
    await database.cleanup();
  }
}

test('first() and limit(n) send their limit as SQL text with no binding, and still cut the rows; an offset stays bound', async (t) => {
  await withSqlite(async (db) => {
    await db.schema.createTable('numbers', (table) => table.integer('n'));
    await db('numbers').insert(Array.from({ length: 10 }, (_, n) => ({ n })));

    const first = await sentBy(db, () => db('numbers').orderBy('n').first());
    t.deepEqual(first.result, { n: 0 });
    t.regex(first.sent[0]!.sql, /limit 1$/);
    t.deepEqual(first.sent[0]!.bindings, []);

    const page = await sentBy(db, () => db('numbers').orderBy('n').limit(3).offset(4));
    t.deepEqual(page.result.map((row: { n: number }) => row.n), [4, 5, 6]);
    t.regex(page.sent[0]!.sql, /limit 3 offset \?$/);
    t.deepEqual(page.sent[0]!.bindings, [4]);

    const none = await db('numbers').limit(0);
    t.deepEqual(none, []);
  });
});

test('a lease reads and marks with LIMIT max_tasks in its SQL, with and without a byte budget', async (t) => {
  await withSqlite(async (db) => {
    const { functionId, endpointId } = await functionAndEndpoint(db);
    const ids = await queue(db, endpointId, functionId, 6);
    const plain = await sentBy(db, () => leaseTasks(db, { endpointId, maxTasks: 2, leaseMs: 60_000 }));
    t.deepEqual(plain.result.map((task) => task.taskId), ids.slice(0, 2));
    const budgeted = await sentBy(db, () => leaseTasks(db, { endpointId, maxTasks: 3, maxBytes: 1_000_000, leaseMs: 60_000 }));
    t.deepEqual(budgeted.result.map((task) => task.taskId), ids.slice(2, 5));
    const sent = [...plain.sent, ...budgeted.sent];
    t.true(sent.some((s) => /LIMIT 2\b/.test(s.sql)) && sent.some((s) => /LIMIT 3\b/.test(s.sql)), sent.map((s) => s.sql).join('\n'));
    t.false(sent.some((s) => /limit \?/i.test(s.sql)), sent.map((s) => s.sql).join('\n'));
  });
});

test('inlineLimit writes a whole number and refuses anything else', (t) => {
  t.is(inlineLimit(0), 'LIMIT 0');
  t.is(inlineLimit(1000), 'LIMIT 1000');
  for (const bad of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '1; DROP TABLE tasks' as unknown as number]) {
    t.throws(() => inlineLimit(bad), { instanceOf: TypeError });
  }
});
