/** Heartbeat leases marked waiting_for_nodes: the task's status over HTTP, a stale token ignored, a bad flag refused. */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { getTask, heartbeat, lease, postResults, submitOk } from './support.js';

serviceTest('heartbeat: a lease marked waiting_for_nodes makes the task waiting-for-nodes; unmarked, running again; stale tokens change nothing', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId, other] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  t.is(task.task_id, taskId);
  t.like(await getTask(t, live, taskId), { status: 'running', pending: true });

  const stale = await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: 'stale', waiting_for_nodes: true }] });
  t.like(stale.body, { extended: 0, lost: [taskId] });
  t.like(await getTask(t, live, taskId), { status: 'running' });

  const waiting = await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: task.lease_token, waiting_for_nodes: true }] });
  t.is(waiting.status, 200, JSON.stringify(waiting.body));
  assertSchema(t, 'endpoint-heartbeat-response.json', waiting.body);
  t.like(waiting.body, { extended: 1, cancel: [], lost: [] });
  t.like(await getTask(t, live, taskId), { status: 'waiting-for-nodes', pending: true, attempts: 1 });
  t.like(await getTask(t, live, other), { status: 'waiting-for-ep' });
  const batch = await live.call('POST', '/v2/batch_status', { body: { task_ids: [taskId] } });
  t.like(batch.body.results[taskId], { status: 'waiting-for-nodes', pending: true });

  // The heartbeat's leases are not part of the stored report.
  const status = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  t.false(JSON.stringify(status.body).includes(task.lease_token));

  await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: task.lease_token, waiting_for_nodes: false }] });
  t.like(await getTask(t, live, taskId), { status: 'running' });

  await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: task.lease_token, waiting_for_nodes: true }] });
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  t.like(await getTask(t, live, taskId), { status: 'success', pending: false, result: '2' });
});

serviceTest('heartbeat: waiting_for_nodes must be a boolean', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  const bad = await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: task.lease_token, waiting_for_nodes: 'yes' }] });
  t.is(bad.status, 400);
  assertSchema(t, 'error.json', bad.body);
  t.like(await getTask(t, live, taskId), { status: 'running' });
});
