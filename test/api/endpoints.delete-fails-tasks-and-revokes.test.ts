/** Deleting an endpoint: its unfinished tasks fail with EndpointDeleted, its credential is revoked, it is gone. */
import { functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { getTask, heartbeat, lease, postResults, submitOk, submitTo } from './support.js';

serviceTest('delete fails waiting and running tasks, keeps finished ones, and revokes the credential', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [done, running, waiting] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2), jsonPayload(3)]);
  const first = (await lease(live, endpointId, credential, 2)).body.tasks;
  t.deepEqual(first.map((x: { task_id: string }) => x.task_id), [done, running]);
  await postResults(live, endpointId, credential, [{ task_id: done, lease_token: first[0].lease_token, status: 'success', result: '2' }]);

  const deleted = await live.call('DELETE', `/v3/endpoints/${endpointId}`);
  t.deepEqual([deleted.status, deleted.body], [200, { endpoint_id: endpointId, deleted: true, failed_tasks: 2 }]);
  for (const taskId of [running, waiting]) {
    const task = await getTask(t, live, taskId);
    t.like(task, { status: 'failed', pending: false, exception: { type: 'EndpointDeleted', message: `endpoint ${endpointId} was deleted before the task finished` } });
  }
  t.like(await getTask(t, live, done), { status: 'success', result: '2' });

  const revoked = { code: 'EndpointCredentialInvalid', reason: 'the endpoint credential is unknown or was revoked', http_status_code: 401 };
  t.deepEqual((await lease(live, endpointId, credential)).body, revoked);
  t.deepEqual((await heartbeat(live, endpointId, credential)).body, revoked);
  t.deepEqual((await postResults(live, endpointId, credential, [{ task_id: running, lease_token: first[1].lease_token, status: 'success', result: '4' }])).body, revoked);

  const gone = { code: 'EndpointNotFound', reason: `endpoint ${endpointId} not found`, http_status_code: 404 };
  t.deepEqual((await live.call('GET', `/v2/endpoints/${endpointId}`)).body, gone);
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, gone);
  t.deepEqual((await live.call('DELETE', `/v3/endpoints/${endpointId}`)).body, gone);
  t.deepEqual((await submitTo(live, endpointId, functionId, [jsonPayload(4)])).body, gone);
  t.deepEqual((await live.call('GET', '/v3/endpoints')).body, { endpoints: [] });
});

serviceTest('a client waiting on a task sees it fail when its endpoint is deleted', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const waiting = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 30 } });
  await live.call('DELETE', `/v3/endpoints/${endpointId}`);
  const answer = (await waiting).body;
  t.deepEqual(answer.pending, []);
  t.like(answer.done[taskId], { status: 'failed', exception: { type: 'EndpointDeleted' } });
});
