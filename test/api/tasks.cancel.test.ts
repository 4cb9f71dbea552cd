/** Cancelling: a waiting task never runs; a running one is stopped at the endpoint's next heartbeat; finished ones refuse. */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { NIL_UUID, getTask, heartbeat, lease, postResults, submitOk } from './support.js';

serviceTest('a waiting task cancelled is never leased', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [cancelled, kept] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const answer = await live.call('POST', `/v3/tasks/${cancelled}/cancel`);
  t.is(answer.status, 200);
  assertSchema(t, 'task.json', answer.body);
  t.like(answer.body, {
    task_id: cancelled, status: 'cancelled', pending: false, attempts: 0,
    exception: { type: 'TaskCancelled', message: 'the task was cancelled by its submitter' },
  });
  // A read adds why it waits (nothing now) and its attempts (none: it never ran).
  t.deepEqual(await getTask(t, live, cancelled), { ...answer.body, reason: null, history: [] });
  t.deepEqual((await lease(live, endpointId, credential)).body.tasks.map((x: { task_id: string }) => x.task_id), [kept]);
});

serviceTest('a running task cancelled: the heartbeat says cancel, and its late result is refused', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  const answer = await live.call('POST', `/v3/tasks/${taskId}/cancel`);
  assertSchema(t, 'task.json', answer.body);
  t.like(answer.body, { status: 'cancelled', pending: false, attempts: 1, exception: { type: 'TaskCancelled' } });
  const beat = await heartbeat(live, endpointId, credential, { idle_workers: 0, outstanding_tasks: 1, leases: [{ task_id: taskId, lease_token: task.lease_token }] });
  assertSchema(t, 'endpoint-heartbeat-response.json', beat.body);
  t.deepEqual(beat.body, { lease_seconds: 60, extended: 0, cancel: [taskId], lost: [] });
  const late = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  assertSchema(t, 'endpoint-results-response.json', late.body);
  t.deepEqual(late.body, { results: [{ task_id: taskId, outcome: 'rejected', code: 'TaskCancelled', reason: 'the task was cancelled' }] });
  t.like(await getTask(t, live, taskId), { status: 'cancelled' });
  t.false('result' in (await getTask(t, live, taskId)));
});

serviceTest('a finished task cannot be cancelled: TaskAlreadyFinished', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [done, cancelled] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: done, lease_token: task.lease_token, status: 'success', result: '2' }]);
  const refused = await live.call('POST', `/v3/tasks/${done}/cancel`);
  t.is(refused.status, 409);
  t.deepEqual(refused.body, { code: 'TaskAlreadyFinished', reason: `task ${done} already finished (success)`, http_status_code: 409 });
  assertSchema(t, 'error.json', refused.body);
  t.like(await getTask(t, live, done), { status: 'success', result: '2' });
  await live.call('POST', `/v3/tasks/${cancelled}/cancel`);
  t.deepEqual((await live.call('POST', `/v3/tasks/${cancelled}/cancel`)).body,
    { code: 'TaskAlreadyFinished', reason: `task ${cancelled} already finished (cancelled)`, http_status_code: 409 });
});

serviceTest('only the submitter may cancel; others and unknown ids get TaskNotFound', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const bob = await live.tokenFor('bob');
  const hidden = await live.call('POST', `/v3/tasks/${taskId}/cancel`, { token: bob });
  t.deepEqual([hidden.status, hidden.body], [404, { code: 'TaskNotFound', reason: `task ${taskId} not found`, http_status_code: 404 }]);
  t.like(await getTask(t, live, taskId), { status: 'waiting-for-ep' });
  t.deepEqual((await live.call('POST', `/v3/tasks/${NIL_UUID}/cancel`)).body, { code: 'TaskNotFound', reason: `task ${NIL_UUID} not found`, http_status_code: 404 });
  t.deepEqual((await live.call('POST', '/v3/tasks/nope/cancel')).body, { code: 'InvalidUUID', reason: 'task_id "nope" is not a UUID', http_status_code: 400 });
});
