import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { functionAndEndpoint, queue, replicas } from './fixtures.js';

testOnEachDatabase('pollers on four replicas leasing at once never receive the same (task, attempt), and miss none', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 2000);
  const pools = replicas(db, database, 4);
  const received: string[] = [];
  // Three pollers per replica, each leasing until the queue is empty.
  await Promise.all(pools.flatMap((replica) => [0, 1, 2].map(async () => {
    for (let round = 0; round < 1000; round++) {
      const leased = await leaseTasks(replica, { endpointId, maxTasks: 37, leaseMs: 60_000 });
      if (leased.length === 0) return;
      received.push(...leased.map((l) => `${l.taskId}#${l.attempt}`));
    }
  })));
  t.is(received.length, ids.length);
  t.is(new Set(received).size, ids.length);
  t.deepEqual([...received].sort(), ids.map((id) => `${id}#1`).sort());
});

testOnEachDatabase('two leases at once on one service: the one whose first read saw rows the other took leases the next ones in the same call, within its byte budget', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 10);
  const taken = new Set<string>();
  for (const maxBytes of [undefined, 1_000_000]) {
    const leases = await Promise.all([0, 1].map(() => leaseTasks(db, { endpointId, maxTasks: 2, leaseMs: 60_000, maxBytes })));
    t.deepEqual(leases.map((leased) => leased.length), [2, 2], 'neither came back short');
    for (const task of leases.flat()) taken.add(task.taskId);
  }
  t.deepEqual([...taken].sort(), ids.slice(0, 8).sort(), 'the oldest eight, none twice');
  t.deepEqual((await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000 })).map((task) => task.taskId), ids.slice(8));
});
