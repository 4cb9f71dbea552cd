/**
 * Heartbeats that say a held task waits for nodes make it reported as
 * `waiting-for-nodes` (the ledger state stays `running`); only under the
 * current lease token, and cleared when the task starts or the lease ends.
 */
import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { extendLeases } from '../../src/ledger/extendLeases.js';
import { releaseLeases } from '../../src/ledger/releaseLeases.js';
import { completeTasks } from '../../src/ledger/completeTasks.js';
import { reapExpiredLeases } from '../../src/ledger/reapExpiredLeases.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { readTaskGroup, readTasks } from '../../src/ledger/readTasks.js';
import { alice, functionAndEndpoint, leaseThatExpires, queue, row } from './fixtures.js';

async function statusOf(db: Parameters<typeof readTasks>[0], taskId: string) {
  return (await readTasks(db, { submitter: alice.id, taskIds: [taskId] })).found.get(taskId)!;
}

testOnEachDatabase('waiting for nodes: reported while the endpoint says so under the current token, then running once started', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  t.like(await statusOf(db, taskId), { status: 'running', pending: true });

  // A stale token says nothing about the task: refused as lost, the status untouched.
  const stale = await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [{ task_id: taskId, lease_token: 'stale', waiting_for_nodes: true }] });
  t.deepEqual(stale, { extended: 0, cancel: [], lost: [taskId] });
  t.is((await row(db, taskId)).waiting_for_nodes_since, null);
  t.like(await statusOf(db, taskId), { status: 'running' });
  // Another endpoint cannot mark it either.
  const other = await functionAndEndpoint(db, 'other');
  t.deepEqual(
    await extendLeases(db, { endpointId: other.endpointId, leaseMs: 60_000, leases: [{ task_id: taskId, lease_token: lease.leaseToken, waiting_for_nodes: true }] }),
    { extended: 0, cancel: [], lost: [taskId] },
  );
  t.is((await row(db, taskId)).waiting_for_nodes_since, null);

  const first = await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [{ task_id: taskId, lease_token: lease.leaseToken, waiting_for_nodes: true }] });
  t.deepEqual(first, { extended: 1, cancel: [], lost: [] });
  const since = Number((await row(db, taskId)).waiting_for_nodes_since);
  t.true(since > 0);
  t.like(await statusOf(db, taskId), { status: 'waiting-for-nodes', pending: true, attempts: 1 });
  const group = await readTaskGroup(db, { submitter: alice.id, taskGroupId: (await row(db, taskId)).task_group_id, offset: 0, limit: 10 });
  t.like(group.tasks[0], { id: taskId, status: 'waiting-for-nodes', pending: true });
  t.is((await row(db, taskId)).state, 'running', 'the ledger state is unchanged');

  // Still waiting: the first time it waited is kept.
  await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [{ task_id: taskId, lease_token: lease.leaseToken, waiting_for_nodes: true }] });
  t.is(Number((await row(db, taskId)).waiting_for_nodes_since), since);

  // A stale token claiming it started changes nothing either.
  await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [{ task_id: taskId, lease_token: 'stale' }] });
  t.like(await statusOf(db, taskId), { status: 'waiting-for-nodes' });

  // Started on a worker: the next heartbeat lists the lease without the flag.
  t.deepEqual(await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [{ task_id: taskId, lease_token: lease.leaseToken }] }), { extended: 1, cancel: [], lost: [] });
  t.is((await row(db, taskId)).waiting_for_nodes_since, null);
  t.like(await statusOf(db, taskId), { status: 'running' });

  const stored = await completeTasks(db, { endpointId, maxResultBytes: 1e6, maxRetries: 3, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'success', result: '1', result_serializer: 'json' }] });
  t.is(stored.outcomes[0].outcome, 'stored');
  t.like(await statusOf(db, taskId), { status: 'success', pending: false });
});

testOnEachDatabase('waiting for nodes: a result, a hand-back, an expired lease or a cancel ends it; a new lease starts as running', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [completed, released, cancelled] = await queue(db, endpointId, functionId, 3);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: 60_000 });
  const token = lease.leaseToken;
  await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [completed, released, cancelled].map((id) => ({ task_id: id, lease_token: token, waiting_for_nodes: true })) });
  for (const id of [completed, released, cancelled]) t.like(await statusOf(db, id), { status: 'waiting-for-nodes' });

  // A result may come without a heartbeat in between (the task started and finished quickly).
  await completeTasks(db, { endpointId, maxResultBytes: 1e6, maxRetries: 3, results: [{ task_id: completed, lease_token: token, status: 'failed', exception: { type: 'ValueError', message: 'no' } }] });
  t.like(await statusOf(db, completed), { status: 'failed', pending: false });
  t.is((await row(db, completed)).waiting_for_nodes_since, null);

  await cancelTask(db, { submitter: alice.id, taskId: cancelled });
  t.like(await statusOf(db, cancelled), { status: 'cancelled', pending: false });
  t.is((await row(db, cancelled)).waiting_for_nodes_since, null);

  t.deepEqual(await releaseLeases(db, { endpointId, leases: [{ task_id: released, lease_token: token }] }), [released]);
  t.like(await statusOf(db, released), { status: 'waiting-for-ep' });
  t.is((await row(db, released)).waiting_for_nodes_since, null);

  // Leased again, then the lease expires while the endpoint said it waited: requeued, not waiting for nodes.
  const [again] = await leaseThatExpires(db, endpointId, 1);
  t.is(again.taskId, released);
  t.like(await statusOf(db, released), { status: 'running' }, 'a new lease has reported nothing yet');
  await db('tasks').where({ id: released }).update({ waiting_for_nodes_since: 1 }); // as a heartbeat in time would have left it
  t.like(await statusOf(db, released), { status: 'waiting-for-nodes' });
  const reaped = await reapExpiredLeases(db, { maxRetries: 3 });
  t.deepEqual(reaped.requeued.map((r) => r.taskId), [released]);
  t.like(await statusOf(db, released), { status: 'waiting-for-ep' });
  t.is((await row(db, released)).waiting_for_nodes_since, null);

  // And a lost worker (retry) requeues it with the mark cleared too.
  const [third] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  await extendLeases(db, { endpointId, leaseMs: 60_000, leases: [{ task_id: released, lease_token: third.leaseToken, waiting_for_nodes: true }] });
  t.like(await statusOf(db, released), { status: 'waiting-for-nodes' });
  const lost = await completeTasks(db, { endpointId, maxResultBytes: 1e6, maxRetries: 3, results: [{ task_id: released, lease_token: third.leaseToken, status: 'failed', retry: true, exception: { type: 'WorkerLost', message: 'gone' } }] });
  t.is(lost.outcomes[0].outcome, 'requeued');
  t.like(await statusOf(db, released), { status: 'waiting-for-ep' });
  t.is((await row(db, released)).waiting_for_nodes_since, null);
});
