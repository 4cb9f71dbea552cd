/**
 * Reads of tasks by id (batch status, the wait long-poll's looks and its answer) are lookups on
 * the unique id index, never a walk of the caller's whole history through the (submitter,
 * created_at, seq) listing index, which SQLite's planner took for `id IN (five or more) AND
 * submitter = ?` (src/ledger/readTasks.ts keeps the submitter off every index: offIndex.ts); and
 * they still show a caller only their own tasks, on both databases' plans (by-id.index.test.ts
 * has the same at 1,500 tasks, and lease extension and group cancel).
 * The same for the cancel watch's look (src/ledger/readCancelled.ts), which went through the
 * (endpoint_id, state, seq) lease index and read every cancelled task of the endpoint: it reads
 * by id alone and checks endpoint and state in code, since MariaDB still plans `+endpoint_id IN`
 * through that index.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { readTaskStates, readTasks } from '../../src/ledger/readTasks.js';
import { WAITING } from '../../src/ledger/model.js';
import { readCancelled } from '../../src/ledger/readCancelled.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { alice, functionAndEndpoint, queue } from './fixtures.js';

interface Sent {
  sql: string;
  bindings: unknown[];
}

async function selectsOf<T>(db: Knex, work: () => Promise<T>): Promise<{ result: T; selects: Sent[] }> {
  const selects: Sent[] = [];
  const onQuery = (query: Sent) => {
    if (/^select/i.test(query.sql.trim())) selects.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  db.on('query', onQuery);
  try {
    return { result: await work(), selects };
  } finally {
    db.off('query', onQuery);
  }
}

/** The indexes the database's plan reads `sent` through (SQLite: EXPLAIN QUERY PLAN's details; MariaDB: EXPLAIN's key). */
async function planOf(db: Knex, kind: string, sent: Sent): Promise<string> {
  if (kind === 'sqlite') {
    const rows = (await db.raw(`EXPLAIN QUERY PLAN ${sent.sql}`, sent.bindings as Knex.RawBinding[])) as { detail: string }[];
    return rows.map((row) => row.detail).join('; ');
  }
  const [rows] = (await db.raw(`EXPLAIN ${sent.sql}`, sent.bindings as Knex.RawBinding[])) as [{ key: string | null }[]];
  return rows.map((row) => `key ${row.key}`).join('; ');
}

testOnEachDatabase('tasks read by id go through the id index, and a caller sees only their own', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  // A history for alice, so the listing index is worth something to a planner that wants it.
  await queue(db, endpointId, functionId, 200);
  const mine = await queue(db, endpointId, functionId, 20);
  const bobs = await queue(db, endpointId, functionId, 5, 'bob');
  const asked = [...mine, ...bobs];

  const records = await selectsOf(db, () => readTasks(db, { submitter: alice.id, taskIds: asked }));
  t.deepEqual([...records.result.found.keys()].sort(), [...mine].sort());
  t.deepEqual(records.result.notFound.sort(), [...bobs].sort());
  const states = await selectsOf(db, () => readTaskStates(db, { submitter: alice.id, taskIds: asked }));
  t.deepEqual([...states.result.keys()].sort(), [...mine].sort());
  t.true([...states.result.values()].every((state) => state === WAITING));

  for (const sent of [...records.selects, ...states.selects]) {
    const plan = await planOf(db, database.kind, sent);
    t.false(plan.includes('tasks_submitter_recent_idx'), plan);
    if (database.kind === 'sqlite') t.regex(plan, /USING INDEX tasks_id_unique \(id=\?\)/);
  }
  t.is(records.selects.length + states.selects.length, 2);
});

testOnEachDatabase('the cancel watch reads the tasks it is asked about by id, and names only the endpoint\'s cancelled ones', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const held = await queue(db, endpointId, functionId, 8);
  const elsewhere = await queue(db, other.endpointId, other.functionId, 2);
  for (const taskId of [...held.slice(0, 3), ...elsewhere]) await cancelTask(db, { submitter: alice.id, taskId });

  const read = await selectsOf(db, () => readCancelled(db, { endpointIds: [endpointId], taskIds: [...held, ...elsewhere] }));
  t.deepEqual([...read.result].sort(), held.slice(0, 3).sort());
  t.is(read.selects.length, 1);
  const plan = await planOf(db, database.kind, read.selects[0]);
  t.false(plan.includes('tasks_lease_idx'), plan);
  if (database.kind === 'sqlite') t.regex(plan, /USING INDEX tasks_id_unique \(id=\?\)/);
});
