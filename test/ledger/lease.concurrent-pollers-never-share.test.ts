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
