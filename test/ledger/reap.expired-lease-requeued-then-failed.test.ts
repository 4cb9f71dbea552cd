import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { reapExpiredLeases } from '../../src/ledger/reapExpiredLeases.js';
import { functionAndEndpoint, leaseThatExpires, queue, replicas, row } from './fixtures.js';

testOnEachDatabase('an expired lease is requeued with the attempt counted, then fails with EndpointLost past the limit', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [lease] = await leaseThatExpires(db, endpointId, 1);
    t.is(lease.attempt, attempt);
    const reaped = await reapExpiredLeases(db, { maxRetries: 2 });
    if (attempt < 3) {
      t.deepEqual(reaped, { requeued: [{ taskId, endpointId }], failed: [] });
      const requeued = await row(db, taskId);
      t.deepEqual([requeued.state, requeued.lease_token, requeued.attempts], ['waiting-for-ep', null, attempt]);
    } else {
      t.deepEqual(reaped, { requeued: [], failed: [{ taskId, endpointId }] });
    }
  }
  const failed = await row(db, taskId);
  t.is(failed.state, 'failed');
  const exception = JSON.parse(failed.exception);
  t.is(exception.type, 'EndpointLost');
  t.regex(exception.message, /gave up after 3 attempt\(s\) \(retry limit 2\)/);
  t.deepEqual(JSON.parse(failed.attempt_history).map((a: { attempt: number; reason: string }) => [a.attempt, a.reason]), [[1, 'EndpointLost'], [2, 'EndpointLost'], [3, 'EndpointLost']]);
});

testOnEachDatabase('leases that have not expired are left alone', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  await queue(db, endpointId, functionId, 3);
  await leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: 60_000 });
  t.deepEqual(await reapExpiredLeases(db, { maxRetries: 3 }), { requeued: [], failed: [] });
});

testOnEachDatabase('two reapers on two replicas never process the same lease twice', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 300);
  await leaseThatExpires(db, endpointId, 300);
  const [a, b] = replicas(db, database, 2);
  const results = await Promise.all([a, b, a, b].map((replica) => reapExpiredLeases(replica, { maxRetries: 3, limit: 50 })
    .then(async (first) => {
      const all = [...first.requeued];
      for (let i = 0; i < 20; i++) {
        const more = await reapExpiredLeases(replica, { maxRetries: 3, limit: 50 });
        if (more.requeued.length === 0) break;
        all.push(...more.requeued);
      }
      return all;
    })));
  const requeued = results.flat().map((r) => r.taskId);
  t.is(requeued.length, ids.length);
  t.is(new Set(requeued).size, ids.length);
  const attempts = await db('tasks').whereIn('id', ids).pluck('attempts');
  t.true(attempts.every((n: number) => Number(n) === 1));
  const histories = await db('tasks').whereIn('id', ids).pluck('attempt_history');
  t.true(histories.every((h: string) => JSON.parse(h).length === 1));
});
