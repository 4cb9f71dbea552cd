/**
 * Reading a batch of tasks by id (wait_for_tasks' state look, get_batch_result) finds the rows by
 * tasks_id_unique, however many tasks the caller has: a plan through the caller's listing index
 * (tasks_submitter_recent_idx) walks every task they ever submitted, and a long-running service
 * slowed as its ledger grew (docs/benchmarks.md, "A long-running SQLite service (issue 21)").
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { readTaskStates, readTasks } from '../../src/ledger/readTasks.js';
import { functionAndEndpoint, queue } from './fixtures.js';

/** The SELECTs on tasks that `work` sends, with their bindings. */
async function selectsOf(db: Knex, work: () => Promise<unknown>): Promise<{ sql: string; bindings: Knex.Value[] }[]> {
  const seen: { sql: string; bindings: Knex.Value[] }[] = [];
  const onQuery = (query: { sql: string; bindings?: Knex.Value[] }) => {
    if (/^select .* from `tasks`/i.test(query.sql)) seen.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  db.on('query', onQuery);
  try {
    await work();
  } finally {
    db.off('query', onQuery);
  }
  return seen;
}

/** SQLite's plan for the statement, one line per step. */
async function sqlitePlan(db: Knex, statement: { sql: string; bindings: Knex.Value[] }): Promise<string> {
  const plan: { detail: string }[] = await db.raw(`EXPLAIN QUERY PLAN ${statement.sql}`, statement.bindings);
  return plan.map((row) => row.detail).join('\n');
}

testOnEachDatabase('a batch of 500 tasks read by id (states, then results) returns only the caller\'s, and SQLite finds them by tasks_id_unique, not by walking the caller\'s 1,500 tasks', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const alices: string[] = [];
  for (let i = 0; i < 3; i++) alices.push(...await queue(db, endpointId, functionId, 500));
  const [bobs] = await queue(db, endpointId, functionId, 1, 'bob');
  const asked = [...alices.slice(500, 1000), bobs];

  // Still only the caller's tasks: bob's is not alice's to read.
  let states = new Map<string, string>();
  const stateReads = await selectsOf(db, async () => (states = await readTaskStates(db, { submitter: 'alice', taskIds: asked })));
  t.is(states.size, 500);
  t.false(states.has(bobs));
  let read: Awaited<ReturnType<typeof readTasks>> | undefined;
  const resultReads = await selectsOf(db, async () => (read = await readTasks(db, { submitter: 'alice', taskIds: asked })));
  t.is(read!.found.size, 500);
  t.deepEqual(read!.notFound, [bobs]);

  t.is(stateReads.length, 2); // 500 ids a statement
  t.is(resultReads.length, 2);
  // MariaDB plans from its statistics (at this size it reads the whole table, a third of which is
  // asked for); the guess that misled SQLite is SQLite's own, so SQLite's plan is the claim.
  if (database.kind !== 'sqlite') return;
  for (const statement of [...stateReads, ...resultReads]) {
    const plan = await sqlitePlan(db, statement);
    t.regex(plan, /tasks_id_unique/, plan);
    t.notRegex(plan, /tasks_submitter_recent_idx/, plan);
  }
});
