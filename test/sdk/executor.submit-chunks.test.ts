/**
 * The Executor sends through Client.submitTasks, as batchRun does: more same-tick
 * submissions than one submit request takes leave in requests of SUBMIT_CHUNK
 * (under the service's FUNCX_MAX_BATCH_TASKS, set to that here), all in the
 * executor's task group. No endpoint needed: the tasks just wait for one.
 */
import { serviceTest } from '../helpers/service.js';
import { Executor, FutureCancelled } from '../../sdk/index.js';
import { SUBMIT_CHUNK } from '../../sdk/client.js';
import { clientFor } from './support.js';

serviceTest('1,200 same-tick Executor submissions against a 1,000-task limit: 2 submit requests, one task group, every future sent', async (t, live) => {
  const client = clientFor(live);
  const registered = await live.call('POST', '/v3/endpoints', { body: { name: 'offline-endpoint' } });
  const endpointId = registered.body.endpoint_id as string;
  const functionId = await client.registerFunction({ runtime: 'python', source: 'def echo(x):\n    return x\n', entryPoint: 'echo' });
  const executor = new Executor({ client, endpointId });

  const futures = Array.from({ length: SUBMIT_CHUNK + 200 }, (_, i) => executor.submit({ functionId }, i));
  const taskIds = await Promise.all(futures.map((future) => future.submitted));
  t.is(new Set(taskIds).size, futures.length, 'every future has its own task');
  t.is(client.http.sent.get('POST /v3/submit'), 2, 'in requests of at most SUBMIT_CHUNK');
  const group = await live.call('GET', `/v2/taskgroup/${executor.taskGroupId}?limit=1`);
  t.is(group.body.total, futures.length, 'both requests joined the executor\'s task group');

  // Ending them all: one cancel of the group, which the executor's waiter then sees.
  await client.cancelTaskGroup(executor.taskGroupId);
  await executor.shutdown({ wait: true });
  for (const future of [futures[0], futures.at(-1)!]) await t.throwsAsync(future, { instanceOf: FutureCancelled });
}, { maxBatchTasks: 1000 });
