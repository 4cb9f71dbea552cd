/** Listing tasks newest first, keyset-paged: whole, stable under inserts, filtered, and served by its index. */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { listTasks, taskPageQuery, type TaskListInput, type TaskListKey } from '../../src/ledger/listTasks.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { functionAndEndpoint, queue } from './fixtures.js';
import { dialectOf } from '../../src/db/connect.js';

/** Every page of a listing, following `next` (bounded). */
async function allPages(db: Knex, input: Omit<TaskListInput, 'after'>, between?: () => Promise<void>): Promise<string[][]> {
  const pages: string[][] = [];
  let after: TaskListKey | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await listTasks(db, { ...input, after });
    pages.push(page.tasks.map((task) => task.task_id));
    if (!page.next) return pages;
    after = page.next;
    await between?.();
  }
  throw new Error('more than 100 pages');
}

testOnEachDatabase('a submitter\'s tasks come newest first, each once, across pages, while new ones arrive', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const first = await queue(db, endpointId, functionId, 3);
  const second = await queue(db, endpointId, functionId, 4);
  await queue(db, endpointId, functionId, 2, 'bob'); // not alice's: never listed for her
  // Several tasks of one submit share created_at (same clock tick): seq orders them, and the key splits them.
  await db('tasks').whereIn('id', second).update({ created_at: 1_500_000_000_000 });
  await db('tasks').whereIn('id', first).update({ created_at: 1_000_000_000_000 });
  const expected = [...[...second].reverse(), ...[...first].reverse()];
  let inserted = 0;
  const pages = await allPages(db, { scope: { submitter: 'alice' }, filters: {}, limit: 2 }, async () => {
    // Submitted while paging: newer than every page already read, so never shown by a later page.
    await queue(db, endpointId, functionId, 1);
    inserted += 1;
  });
  t.deepEqual(pages.flat(), expected);
  t.deepEqual(pages.map((p) => p.length), [2, 2, 2, 1]);
  t.is(inserted, 3);
  const fresh = await listTasks(db, { scope: { submitter: 'alice' }, filters: {}, limit: 500 });
  t.is(fresh.tasks.length, 7 + inserted);
  t.is(fresh.next, null);
  t.deepEqual(Object.keys(fresh.tasks[0]).sort(), ['attempts', 'completed_at', 'created_at', 'endpoint_id', 'function_id', 'owner', 'status', 'task_group_id', 'task_id']);
});

testOnEachDatabase('filters: status (running and waiting-for-nodes apart), function, endpoint, time window; an endpoint\'s scope sees every submitter', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const [cancelled, running, waitingForNodes, waiting] = await queue(db, endpointId, functionId, 4);
  const [elsewhere] = await queue(db, other.endpointId, other.functionId, 1);
  const [bobs] = await queue(db, endpointId, functionId, 1, 'bob');
  await cancelTask(db, { submitter: 'alice', taskId: cancelled });
  await db('tasks').whereIn('id', [running, waitingForNodes, waiting]).update({ state: 'waiting-for-ep' });
  await leaseTasks(db, { endpointId, maxTasks: 2, leaseMs: 60_000 });
  await db('tasks').where({ id: waitingForNodes }).update({ waiting_for_nodes_since: 1 });
  const ids = async (input: Partial<TaskListInput['filters']>, scope: TaskListInput['scope'] = { submitter: 'alice' }) =>
    (await listTasks(db, { scope, filters: input, limit: 50 })).tasks.map((task) => task.task_id).sort();
  t.deepEqual(await ids({ statuses: ['running'] }), [running].sort());
  t.deepEqual(await ids({ statuses: ['waiting-for-nodes'] }), [waitingForNodes]);
  t.deepEqual(await ids({ statuses: ['running', 'waiting-for-nodes'] }), [running, waitingForNodes].sort());
  t.deepEqual(await ids({ statuses: ['cancelled', 'waiting-for-ep'] }), [cancelled, waiting, elsewhere].sort());
  t.deepEqual(await ids({ endpointId: other.endpointId }), [elsewhere]);
  t.deepEqual(await ids({ functionId: other.functionId }), [elsewhere]);
  await db('tasks').where({ id: elsewhere }).update({ created_at: 5_000 });
  await db('tasks').where({ id: waiting }).update({ created_at: 9_000 });
  t.deepEqual(await ids({ since: 4_000, until: 6_000 }), [elsewhere]);
  t.deepEqual(await ids({ since: 5_001, until: 9_000 }), [waiting]);
  // The endpoint's owner: bob's task too, and only this endpoint's.
  t.deepEqual(await ids({ statuses: ['waiting-for-ep'] }, { endpointId }), [bobs, waiting].sort());
  const [shown] = (await listTasks(db, { scope: { endpointId }, filters: { statuses: ['running'] }, limit: 5 })).tasks;
  t.like(shown, { task_id: running, status: 'running', attempts: 1, owner: 'alice', endpoint_id: endpointId, function_id: functionId, completed_at: null });
});

testOnEachDatabase('a page is read from tasks_submitter_recent_idx in order: no sort, no scan of other submitters\' rows', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  // Enough rows (and submitters) that a planner would not prefer a table scan on a tiny table.
  for (const who of ['alice', 'bob', 'carol', 'dave']) await queue(db, endpointId, functionId, 300, who);
  const query = taskPageQuery(db, { scope: { submitter: 'alice' }, filters: {}, after: { createdAt: Date.now(), seq: 1_000_000 }, limit: 50 }).toSQL().toNative();
  if (dialectOf(db) === 'sqlite') {
    const plan: { detail: string }[] = await db.raw(`EXPLAIN QUERY PLAN ${query.sql}`, query.bindings as readonly Knex.Value[]);
    const text = plan.map((row) => row.detail).join('\n');
    t.regex(text, /USING INDEX tasks_submitter_recent_idx/, text);
    t.notRegex(text, /TEMP B-TREE/, text);
  } else {
    await db.raw('ANALYZE TABLE tasks');
    const [plan] = await db.raw(`EXPLAIN ${query.sql}`, query.bindings as readonly Knex.Value[]) as [{ key: string | null; Extra: string | null }[]];
    t.is(plan[0].key, 'tasks_submitter_recent_idx', JSON.stringify(plan));
    t.notRegex(plan[0].Extra ?? '', /filesort/, JSON.stringify(plan));
  }
});
