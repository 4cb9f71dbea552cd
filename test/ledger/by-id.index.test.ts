/**
 * Statements that act on tasks by id find them by tasks_id_unique, whatever else they check:
 * reading a batch (wait_for_tasks' state look, get_batch_result) does not go through the caller's
 * listing index (tasks_submitter_recent_idx: every task they ever submitted; a long-running
 * service slowed as its ledger grew, docs/benchmarks.md, "A long-running SQLite service (issue
 * 21)"), and a heartbeat's lease extension or a group cancel not through tasks_reap_idx (state =
 * ?: every running or waiting task of every endpoint). src/ledger/offIndex.ts says why.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { readTaskStates, readTasks } from '../../src/ledger/readTasks.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { extendLeases } from '../../src/ledger/extendLeases.js';
import { cancelTaskGroup } from '../../src/ledger/cancelTaskGroup.js';
import { readCancelled } from '../../src/ledger/readCancelled.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { functionAndEndpoint, queue, row } from './fixtures.js';
import { statementsDuring, type SentStatement } from '../helpers/statementCount.js';

/** The statements on tasks that `work` sends (SELECTs, or UPDATEs), with their bindings. */
async function statementsOf(db: Knex, work: () => Promise<unknown>, kind: RegExp = /^select .* from `tasks`/i): Promise<SentStatement[]> {
  return (await statementsDuring(db, work)).sent.filter((statement) => kind.test(statement.sql));
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
  const stateReads = await statementsOf(db, async () => (states = await readTaskStates(db, { submitter: 'alice', taskIds: asked })));
  t.is(states.size, 500);
  t.false(states.has(bobs));
  let read: Awaited<ReturnType<typeof readTasks>> | undefined;
  const resultReads = await statementsOf(db, async () => (read = await readTasks(db, { submitter: 'alice', taskIds: asked })));
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

testOnEachDatabase('a heartbeat\'s lease extension and a group cancel update their tasks by tasks_id_unique on SQLite, not through every running or waiting task', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const held = await queue(db, endpointId, functionId, 6);
  const group = await queue(db, endpointId, functionId, 6);
  await queue(db, endpointId, functionId, 20); // waiting, in no statement's way
  const leased = await leaseTasks(db, { endpointId, maxTasks: 8, leaseMs: 60_000 }); // held's six, two of group's
  t.deepEqual(leased.map((task) => task.taskId), [...held, ...group.slice(0, 2)]);
  const updates = /^update `tasks`/i;

  let extended = 0;
  const extensions = await statementsOf(db, async () => {
    extended = (await extendLeases(db, { endpointId, leaseMs: 600_000, leases: leased.slice(0, 6).map((task) => ({ task_id: task.taskId, lease_token: task.leaseToken })) })).extended;
  }, updates);
  t.is(extended, 6);

  const { task_group_id: groupId } = await row(db, group[0]);
  let cancelled: string[] = [];
  const cancels = await statementsOf(db, async () => {
    cancelled = (await cancelTaskGroup(db, { submitter: 'alice', taskGroupId: groupId })).cancelled.map((task) => task.taskId);
  }, updates);
  t.deepEqual(cancelled.sort(), [...group].sort()); // running and waiting ones alike
  for (const id of group) t.is((await row(db, id)).state, 'cancelled');
  for (const id of held) t.is((await row(db, id)).state, 'running');

  t.is(extensions.length, 1);
  t.is(cancels.length, 1);
  if (database.kind !== 'sqlite') return; // as above: SQLite's guess is the claim
  for (const statement of [...extensions, ...cancels]) {
    const plan = await sqlitePlan(db, statement);
    t.regex(plan, /tasks_id_unique/, plan);
    t.notRegex(plan, /tasks_reap_idx/, plan);
  }
});

testOnEachDatabase('the cancel watch\'s look at the tasks an endpoint holds is by tasks_id_unique on SQLite, not through every task the endpoint ever had cancelled', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const before = await queue(db, endpointId, functionId, 10);
  for (const id of before) await cancelTask(db, { submitter: 'alice', taskId: id }); // cancelled long ago
  const held = await queue(db, endpointId, functionId, 6);
  await leaseTasks(db, { endpointId, maxTasks: 6, leaseMs: 60_000 });
  await cancelTask(db, { submitter: 'alice', taskId: held[2] });

  let cancelled: string[] = [];
  const reads = await statementsOf(db, async () => (cancelled = await readCancelled(db, { endpointIds: [endpointId], taskIds: held })));
  t.deepEqual(cancelled, [held[2]]);
  t.deepEqual(await readCancelled(db, { endpointIds: [randomUUID()], taskIds: held }), []); // another endpoint's view: nothing
  t.is(reads.length, 1);
  if (database.kind !== 'sqlite') return;
  const plan = await sqlitePlan(db, reads[0]);
  t.regex(plan, /tasks_id_unique/, plan);
  t.notRegex(plan, /tasks_lease_idx/, plan);
});
