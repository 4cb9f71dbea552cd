/**
 * Client calls that need no running endpoint: a task queued for an endpoint
 * that is offline stays pending (TaskPending), can be cancelled (then its
 * result is the TaskCancelled exception), and errors come back typed.
 */
import { serviceTest } from '../helpers/service.js';
import { EndpointNotFound, FunctionNotFound, RemoteException, TaskAlreadyFinished, TaskNotFound, TaskPending } from '../../sdk/index.js';
import { clientFor } from './support.js';

serviceTest('a queued task is TaskPending, cancel makes it TaskCancelled; delete and unknown ids are typed errors', async (t, live) => {
  const fx = clientFor(live);
  const registered = await live.call('POST', '/v3/endpoints', { body: { name: 'offline-endpoint' } });
  const endpointId = registered.body.endpoint_id as string;
  const functionId = await fx.registerFunction({ runtime: 'python', source: 'def f(x):\n    return x\n', entryPoint: 'f' }, { description: 'identity' });
  t.like(await fx.getFunction(functionId), { function_uuid: functionId, name: 'f', runtime: 'python', entry_point: 'f', description: 'identity' });

  const taskId = await fx.run(1, { functionId, endpointId });
  const pending = await t.throwsAsync(fx.getResult(taskId), { instanceOf: TaskPending });
  t.like(pending, { taskId, status: 'waiting-for-ep', code: 'TaskPending' });
  t.like(await fx.getBatchResult([taskId]), { [taskId]: { status: 'waiting-for-ep', pending: true } });
  // An id the service does not know is an error naming it, not an entry silently left out.
  const unknownTask = '00000000-0000-4000-8000-00000000abcd';
  const notFound = await t.throwsAsync(fx.getBatchResult([taskId, unknownTask]), { instanceOf: TaskNotFound });
  t.is(notFound.code, 'TaskNotFound');
  t.true(notFound.message.includes(unknownTask), notFound.message);
  t.false(notFound.message.includes(taskId), 'only the missing ids are named');
  const waited = await fx.waitForTasks([taskId], { timeoutS: 0 });
  t.deepEqual(waited.pending, [taskId]);

  t.like(await fx.cancelTask(taskId), { status: 'cancelled', pending: false });
  const cancelled = await t.throwsAsync(fx.getResult(taskId), { instanceOf: RemoteException });
  t.is(cancelled.remoteType, 'TaskCancelled');
  await t.throwsAsync(fx.cancelTask(taskId), { instanceOf: TaskAlreadyFinished });

  await fx.deleteFunction(functionId);
  await t.throwsAsync(fx.getFunction(functionId), { instanceOf: FunctionNotFound });
  await t.throwsAsync(fx.run(1, { functionId, endpointId }), { instanceOf: FunctionNotFound });
  await t.throwsAsync(fx.getEndpointStatus('00000000-0000-4000-8000-000000000000'), { instanceOf: EndpointNotFound });
  // Never reported (the service answers logs: []): one entry from the current totals, so the tutorial's logs[0] works.
  const neverReported = await fx.getEndpointStatus(endpointId);
  t.like(neverReported, { status: 'offline', last_heartbeat_at: null });
  t.deepEqual(neverReported.logs, [{ timestamp: null, total_workers: 0, idle_workers: 0, outstanding_tasks: 0, pending_tasks: 0 }]);
  t.is(neverReported.logs[0].total_workers, 0);
});
