/**
 * An endpoint with more room than one lease request may ask for
 * (schemas/endpoint-lease.json caps max_tasks) still leases: it asks for the
 * maximum, not for its whole room, which the service would refuse with a 400.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { MAX_LEASE_TASKS } from '../../endpoint/client.js';
import { packageRoot } from '../../src/util/paths.js';

test('the lease cap is the schema maximum', (t) => {
  const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'endpoint-lease.json'), 'utf8'));
  t.is(MAX_LEASE_TASKS, schema.properties.max_tasks.maximum);
});

serviceTest('an endpoint with room for more than the lease maximum runs tasks', async (t, live) => {
  // max_workers + prefetch = 1600 > 1000.
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1500, prefetch: 100 } });
  const fn = await registerPython(live, 'def double(x):\n    return 2 * x\n', 'double');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[21]]);
  const done = await waitForTasks(live, [taskId], 60_000);
  t.is(done[taskId].status, 'success');
  t.is(JSON.parse(done[taskId].result), 42);
  t.notRegex(endpoint.output(), /refused the lease request/);
});
