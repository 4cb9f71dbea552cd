/** Bugs found in review, each pinned by a test. */
import { functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';

serviceTest('an unknown HTTP method is MethodNotAllowed, not a server error', async (t, live) => {
  const response = await live.call('PROPFIND', '/v3/functions');
  t.deepEqual(response.body, { code: 'MethodNotAllowed', reason: 'PROPFIND is not allowed on /v3/functions', http_status_code: 405 });
});

serviceTest('ids in bodies: upper case works everywhere, a urn:uuid: prefix is refused', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  await live.call('PUT', `/v3/endpoints/${endpointId}`, { body: { name: 'test-endpoint', allowed_functions: [functionId.toUpperCase()] } });
  const upper = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId.toUpperCase()]: [jsonPayload(1)] } } });
  t.is(upper.status, 200, JSON.stringify(upper.body));
  const urn = await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: [`urn:uuid:${functionId}`] } });
  t.is(urn.body.code, 'RequestMalformed');
});

serviceTest('function keys that differ only in case are one function: every task id comes back', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const response = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
    body: { tasks: { [functionId]: [jsonPayload(1)], [functionId.toUpperCase()]: [jsonPayload(2), jsonPayload(3)] } },
  });
  t.is(response.body.tasks[functionId].length, 3);
  t.is(Number((await live.db('tasks').count({ n: '*' }))[0].n), 3);
});

serviceTest('re-registering someone else\'s private endpoint does not reveal it exists', async (t, live) => {
  const { endpointId } = await functionAndEndpoint(live);
  const bob = await live.tokenFor('bob');
  const response = await live.call('PUT', `/v3/endpoints/${endpointId}`, { token: bob, body: { name: 'mine' } });
  t.deepEqual(response.body, { code: 'EndpointNotFound', reason: `endpoint ${endpointId} not found`, http_status_code: 404 });
});

serviceTest('a task the reaper gave up on is reported lost to the endpoint still holding it', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = (await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId]: [jsonPayload(1)] } } })).body.tasks[functionId];
  const leased = (await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 1, wait_s: 0 } })).body;
  await live.db('tasks').where({ id: taskId }).update({ lease_expires_at: 0 }); // expired long ago
  await live.service.maintenance.reapNow();
  const task = (await live.call('GET', `/v2/tasks/${taskId}`)).body;
  t.like(task, { status: 'failed', exception: { type: 'EndpointLost' } });
  const beat = await live.call('POST', `/v3/endpoints/${endpointId}/heartbeat`, {
    token: credential,
    body: { total_workers: 1, idle_workers: 0, outstanding_tasks: 1, pending_tasks: 0, leases: [{ task_id: taskId, lease_token: leased.tasks[0].lease_token }] },
  });
  t.deepEqual(beat.body.lost, [taskId]);
}, { maxRetries: 0 });
