import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { completeTasks } from '../../src/ledger/completeTasks.js';
import { reapExpiredLeases } from '../../src/ledger/reapExpiredLeases.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { functionAndEndpoint, leaseThatExpires, queue, row } from './fixtures.js';

const LIMITS = { maxResultBytes: 1000, maxRetries: 3 };

testOnEachDatabase('a result is stored once; its replay is a duplicate and changes nothing', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  const post = (result: string) => completeTasks(db, { endpointId, ...LIMITS, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'success', result }] });
  t.deepEqual((await post('1')).outcomes, [{ task_id: taskId, outcome: 'stored' }]);
  const stored = await row(db, taskId);
  t.deepEqual((await post('2')).outcomes, [{ task_id: taskId, outcome: 'duplicate' }]);
  const after = await row(db, taskId);
  t.deepEqual([after.state, after.result, after.completed_at], [stored.state, '1', stored.completed_at]);
});

testOnEachDatabase('a stale token (lease expired, task re-leased) is refused; the new attempt\'s result stands', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [stale] = await leaseThatExpires(db, endpointId, 1);
  t.deepEqual((await reapExpiredLeases(db, { maxRetries: 3 })).requeued, [{ taskId, endpointId }]);
  const [fresh] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  t.is(fresh.attempt, 2);
  const staleAnswer = await completeTasks(db, { endpointId, ...LIMITS, results: [{ task_id: taskId, lease_token: stale.leaseToken, status: 'success', result: '"stale"' }] });
  t.is(staleAnswer.outcomes[0].outcome, 'rejected');
  t.is(staleAnswer.outcomes[0].code, 'LeaseLost');
  t.is((await row(db, taskId)).state, 'running');
  await completeTasks(db, { endpointId, ...LIMITS, results: [{ task_id: taskId, lease_token: fresh.leaseToken, status: 'success', result: '"fresh"' }] });
  const final = await row(db, taskId);
  t.deepEqual([final.state, final.result, final.attempts], ['success', '"fresh"', 2]);
});

testOnEachDatabase('results for cancelled, unknown or another endpoint\'s tasks are refused', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  await cancelTask(db, { submitter: 'alice', taskId });
  const answer = await completeTasks(db, {
    endpointId, ...LIMITS,
    results: [
      { task_id: taskId, lease_token: lease.leaseToken, status: 'success', result: '1' },
      { task_id: '00000000-0000-4000-8000-000000000000', lease_token: 'x', status: 'success', result: '1' },
    ],
  });
  t.deepEqual(answer.outcomes.map((o) => o.code), ['TaskCancelled', 'TaskNotFound']);
  const wrongEndpoint = await completeTasks(db, { endpointId: other.endpointId, ...LIMITS, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'success', result: '1' }] });
  t.is(wrongEndpoint.outcomes[0].code, 'TaskNotFound');
  t.is((await row(db, taskId)).state, 'cancelled');
});

testOnEachDatabase('a user exception is a result; an oversized result fails the task with TaskResultTooLarge', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [raising, huge] = await queue(db, endpointId, functionId, 2);
  const leases = await leaseTasks(db, { endpointId, maxTasks: 2, leaseMs: 60_000 });
  const token = leases[0].leaseToken;
  await completeTasks(db, {
    endpointId, ...LIMITS,
    results: [
      { task_id: raising, lease_token: token, status: 'failed', exception: { type: 'Exception', message: 'deterministic failure', traceback: 'Traceback ...' } },
      { task_id: huge, lease_token: token, status: 'success', result: 'x'.repeat(1001) },
    ],
  });
  const failed = await row(db, raising);
  t.deepEqual([failed.state, failed.attempts, JSON.parse(failed.exception)], ['failed', 1, { type: 'Exception', message: 'deterministic failure', traceback: 'Traceback ...' }]);
  const tooLarge = await row(db, huge);
  t.is(tooLarge.state, 'failed');
  t.is(tooLarge.result, null);
  t.is(JSON.parse(tooLarge.exception).type, 'TaskResultTooLarge');
});

testOnEachDatabase('retry:true (WorkerLost) requeues with the attempt recorded, and fails past the retry limit', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const lose = async () => {
    const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
    return completeTasks(db, { endpointId, maxResultBytes: 1000, maxRetries: 1, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'failed', retry: true, exception: { type: 'WorkerLost', message: 'worker died' } }] });
  };
  t.deepEqual((await lose()).outcomes, [{ task_id: taskId, outcome: 'requeued' }]);
  t.is((await row(db, taskId)).state, 'waiting-for-ep');
  t.deepEqual((await lose()).outcomes, [{ task_id: taskId, outcome: 'stored' }]);
  const final = await row(db, taskId);
  t.is(final.state, 'failed');
  t.is(JSON.parse(final.exception).type, 'WorkerLost');
  t.deepEqual(JSON.parse(final.attempt_history).map((a: { attempt: number; reason: string }) => [a.attempt, a.reason]), [[1, 'WorkerLost'], [2, 'WorkerLost']]);
});
