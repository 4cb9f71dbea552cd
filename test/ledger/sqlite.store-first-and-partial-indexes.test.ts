/**
 * Two SQLite savings on the ledger's whole cycle (docs/benchmarks.md, ledger):
 * - a batch of results is stored before its rows are read (src/ledger/completeTasks.ts,
 *   storeBeforeReading): when every result stores, that is one guarded UPDATE whose RETURNING
 *   gives the timings, with no read of the 500 rows and no transaction; results the guard
 *   refuses are then read and classified in a transaction, each in its place;
 * - the reap, purge and completed-per-endpoint indexes hold only the rows whose column is set
 *   (migrations/20261207070000_sqlite_partial_task_indexes.ts), and the queries that use them
 *   still go through them.
 * Real SQLite files; statements from knex's query events, plans from EXPLAIN QUERY PLAN.
 */
import test from 'ava';
import { migratedDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { completeTasks } from '../../src/ledger/completeTasks.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { reapExpiredLeases } from '../../src/ledger/reapExpiredLeases.js';
import { purgeExpired } from '../../src/ledger/purgeExpired.js';
import { readActivity } from '../../src/registry/endpointActivity.js';
import { alice, functionAndEndpoint, queue, row } from './fixtures.js';
import { statementsDuring } from '../helpers/statementCount.js';

const LIMITS = { maxResultBytes: 1000, maxRetries: 3 };

const word = (sql: string) => sql.split(/[\s;]+/)[0].toLowerCase();

test('a batch of results that all store is one guarded UPDATE and no transaction, with no read of the rows; the timings come from its RETURNING', async (t) => {
  const { db } = await migratedDatabase(t, 'sqlite');
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 50);
  const leased = await leaseTasks(db, { endpointId, maxTasks: 50, leaseMs: 60_000 });
  const { result, sent } = await statementsDuring(db, () => completeTasks(db, {
    endpointId, ...LIMITS, results: leased.map((task, i) => ({ task_id: task.taskId, lease_token: task.leaseToken, status: 'success' as const, result: String(i) })),
  }));
  t.deepEqual(sent.map((s) => word(s.sql)), ['update']);
  t.deepEqual(result.outcomes.map((o) => o.outcome), leased.map(() => 'stored'));
  t.deepEqual([...result.finished].sort(), [...ids].sort());
  for (const timing of result.timings) t.true(timing.leasedAt! >= timing.createdAt && timing.createdAt > 0);
  t.like(await row(db, leased[7].taskId), { state: 'success', result: '7' });
});

test('a batch mixing results the guard refuses is stored where it may and answered in order: stale, cancelled, another endpoint\'s, unknown, already stored', async (t) => {
  const { db } = await migratedDatabase(t, 'sqlite');
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  await queue(db, endpointId, functionId, 5);
  const [otherTask] = await queue(db, other.endpointId, other.functionId, 1);
  const [a, b, c, d, e] = await leaseTasks(db, { endpointId, maxTasks: 5, leaseMs: 60_000 });
  await leaseTasks(db, { endpointId: other.endpointId, maxTasks: 1, leaseMs: 60_000 });
  await cancelTask(db, { submitter: alice.id, taskId: c.taskId });
  await completeTasks(db, { endpointId, ...LIMITS, results: [{ task_id: e.taskId, lease_token: e.leaseToken, status: 'success', result: '"e"' }] });
  const ok = (task: typeof a, result: string) => ({ task_id: task.taskId, lease_token: task.leaseToken, status: 'success' as const, result });
  const answer = await completeTasks(db, {
    endpointId, ...LIMITS,
    results: [
      ok(a, '1'),
      { ...ok(b, '2'), lease_token: 'stale-token' },
      ok(c, '3'),
      { task_id: otherTask, lease_token: 'x', status: 'success', result: '4' },
      { task_id: '00000000-0000-4000-8000-000000000009', lease_token: 'x', status: 'success', result: '5' },
      ok(e, '"again"'),
      ok(d, '6'),
    ],
  });
  t.deepEqual(answer.outcomes.map((o) => [o.outcome, o.code]), [
    ['stored', undefined], ['rejected', 'LeaseLost'], ['rejected', 'TaskCancelled'], ['rejected', 'TaskNotFound'], ['rejected', 'TaskNotFound'], ['duplicate', undefined], ['stored', undefined],
  ]);
  t.deepEqual([...answer.finished].sort(), [a.taskId, d.taskId].sort());
  t.like(await row(db, b.taskId), { state: 'running' });
  t.like(await row(db, e.taskId), { result: '"e"' });
  t.like(await row(db, otherTask), { state: 'running', result: null });
});

test('the reap, purge and completed-per-endpoint indexes hold only rows whose column is set, and their queries still use them', async (t) => {
  const { db } = await migratedDatabase(t, 'sqlite');
  const indexes = new Map(((await db.raw("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'")) as { name: string; sql: string }[]).map((r) => [r.name, r.sql]));
  t.regex(indexes.get('tasks_reap_idx')!, /WHERE `lease_expires_at` IS NOT NULL$/);
  t.regex(indexes.get('tasks_purge_idx')!, /WHERE `completed_at` IS NOT NULL$/);
  t.regex(indexes.get('tasks_endpoint_completed_idx')!, /WHERE `completed_at` IS NOT NULL$/);

  const { functionId, endpointId } = await functionAndEndpoint(db);
  await queue(db, endpointId, functionId, 3);
  const planOf = async (work: () => Promise<unknown>, table = 'tasks') => {
    const { sent } = await statementsDuring(db, work);
    const plans: string[] = [];
    for (const s of sent.filter((s) => /^select|^delete/i.test(s.sql) && s.sql.includes(`\`${table}\``))) {
      const rows = (await db.raw(`EXPLAIN QUERY PLAN ${s.sql}`, s.bindings)) as { detail: string }[];
      plans.push(rows.map((r) => r.detail).join('; '));
    }
    return plans.join(' | ');
  };
  t.regex(await planOf(() => reapExpiredLeases(db, { maxRetries: 3 })), /USING INDEX tasks_reap_idx/);
  t.regex(await planOf(() => purgeExpired(db, { retentionMs: 1000 })), /USING (COVERING )?INDEX tasks_purge_idx/);
  t.regex(await planOf(() => readActivity(db, { endpointId, windowSeconds: 3600 })), /USING (COVERING )?INDEX tasks_endpoint_completed_idx/);
});
