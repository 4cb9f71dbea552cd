/**
 * batchRun splits a batch larger than the service takes in one submit
 * (FUNCX_MAX_BATCH_TASKS, set low here) into several requests sharing one
 * task group, and returns the task ids in the order the calls were added.
 * No endpoint needed: the tasks just wait for one.
 */
import { serviceTest } from '../helpers/service.js';
import { clientFor } from './support.js';

serviceTest('batchRun of 2,500 calls against a 1,000-task limit: 3 requests, one task group, ids in order', async (t, live) => {
  const fx = clientFor(live);
  const registered = await live.call('POST', '/v3/endpoints', { body: { name: 'offline-endpoint' } });
  const endpointId = registered.body.endpoint_id as string;
  const even = await fx.registerFunction({ runtime: 'python', source: 'def even(x):\n    return x\n', entryPoint: 'even' });
  const odd = await fx.registerFunction({ runtime: 'python', source: 'def odd(x):\n    return x\n', entryPoint: 'odd' });
  const batch = fx.createBatch({ endpointId });
  const expected = Array.from({ length: 2500 }, (_, i) => (i % 2 === 0 ? even : odd));
  expected.forEach((functionId, i) => batch.add(i, { functionId }));

  const taskIds = await fx.batchRun(batch);
  t.is(taskIds.length, 2500);
  t.is(new Set(taskIds).size, 2500);
  t.is(fx.http.sent.get('POST /v3/submit'), 3, '2,500 calls in requests of at most 1,000');

  const records = await fx.getTasks(taskIds);
  t.is(Object.keys(records).length, 2500, 'every task exists on the service');
  // In order: the i-th id is the i-th call (its function alternates even/odd).
  t.deepEqual(taskIds.map((id) => records[id].function_id), expected);
  const groups = new Set(Object.values(records).map((record) => record.task_group_id));
  t.is(groups.size, 1, 'the requests share one task group');
  const group = await live.call('GET', `/v2/taskgroup/${[...groups][0]}?limit=1`);
  t.is(group.body.total, 2500);
}, { maxBatchTasks: 1000 });
