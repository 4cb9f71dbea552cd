import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { functionAndEndpoint, queue } from './fixtures.js';

testOnEachDatabase('lease hands out at most max_tasks, oldest first, with one token per call', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 5);
  const first = await leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: 60_000 });
  t.deepEqual(first.map((l) => l.taskId), ids.slice(0, 3));
  t.deepEqual(first.map((l) => l.attempt), [1, 1, 1]);
  t.is(new Set(first.map((l) => l.leaseToken)).size, 1);
  t.deepEqual(first.map((l) => JSON.parse(l.payload).args), [[0], [1], [2]]);
  const second = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000 });
  t.deepEqual(second.map((l) => l.taskId), ids.slice(3));
  t.not(second[0].leaseToken, first[0].leaseToken);
  t.deepEqual(await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000 }), []);
  const states = await db('tasks').whereIn('id', ids).pluck('state');
  t.deepEqual(states, Array(5).fill('running'));
});

testOnEachDatabase('lease only hands out the named endpoint\'s tasks', async (t, db) => {
  const a = await functionAndEndpoint(db, 'a');
  const b = await functionAndEndpoint(db, 'b');
  await queue(db, a.endpointId, a.functionId, 2);
  const forB = await queue(db, b.endpointId, b.functionId, 2);
  const leased = await leaseTasks(db, { endpointId: b.endpointId, maxTasks: 10, leaseMs: 60_000 });
  t.deepEqual(leased.map((l) => l.taskId), forB);
});
