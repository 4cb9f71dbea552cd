/** The tutorial over HTTP: register, run on an endpoint (the test plays the endpoint), get the result; batches and task groups. */
import { randomUUID } from 'node:crypto';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { HELLO_WORLD, NIL_UUID, getTask, lease, postResults, registerEndpoint, registerFunction, submitOk, submitTo } from './support.js';

serviceTest('tutorial: register hello_world, run it, the endpoint leases and answers, the user gets "Hello World!"', async (t, live) => {
  const functionId = await registerFunction(live, HELLO_WORLD);
  const { endpointId, credential } = await registerEndpoint(live, { name: 'tutorial' });

  const submitted = await submitTo(live, endpointId, functionId, [jsonPayload()]);
  t.is(submitted.status, 200);
  assertSchema(t, 'task-submit-response.json', submitted.body);
  t.like(submitted.body, { endpoint_id: endpointId });
  const [taskId] = submitted.body.tasks[functionId];
  t.like(await getTask(t, live, taskId), {
    task_id: taskId, status: 'waiting-for-ep', pending: true, function_id: functionId, endpoint_id: endpointId,
    task_group_id: submitted.body.task_group_id, attempts: 0, leased_at: null, completed_at: null, completion_t: null,
  });

  const leased = await lease(live, endpointId, credential);
  t.is(leased.status, 200);
  assertSchema(t, 'endpoint-lease-response.json', leased.body);
  t.is(leased.body.tasks.length, 1);
  t.like(leased.body.tasks[0], { task_id: taskId, attempt: 1, function_id: functionId, task_group_id: submitted.body.task_group_id, payload: jsonPayload(), serializer: 'json' });
  t.deepEqual(leased.body.functions, {
    [functionId]: { function_id: functionId, name: 'hello_world', runtime: 'python', source: HELLO_WORLD.source, entry_point: 'hello_world' },
  });
  t.like(await getTask(t, live, taskId), { status: 'running', pending: true, attempts: 1 });

  const posted = await postResults(live, endpointId, credential, [
    { task_id: taskId, lease_token: leased.body.tasks[0].lease_token, status: 'success', result: '"Hello World!"' },
  ]);
  t.is(posted.status, 200);
  assertSchema(t, 'endpoint-results-response.json', posted.body);
  t.deepEqual(posted.body, { results: [{ task_id: taskId, outcome: 'stored' }] });

  const done = await getTask(t, live, taskId);
  t.like(done, { status: 'success', pending: false, result: '"Hello World!"', result_serializer: 'json', attempts: 1 });
  t.is(JSON.parse(done.result), 'Hello World!');
  t.regex(done.completion_t, /^\d+\.\d{3}$/);
  t.is(typeof done.completed_at, 'string');
  t.deepEqual((await live.call('GET', `/v3/tasks/${taskId}`)).body, done);
});

serviceTest('a function\'s exception comes back as the task\'s exception, not a retry', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload()]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  const exception = { type: 'Exception', message: 'deterministic failure', traceback: 'Traceback (most recent call last):\n  ...\nException: deterministic failure' };
  const posted = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'failed', exception }]);
  t.deepEqual(posted.body, { results: [{ task_id: taskId, outcome: 'stored' }] });
  const failed = await getTask(t, live, taskId);
  t.like(failed, { status: 'failed', pending: false, attempts: 1, exception });
  t.false('result' in failed);
  t.deepEqual((await lease(live, endpointId, credential)).body.tasks, []);
});

serviceTest('tasks submitted while no endpoint polls stay waiting-for-ep, then are leased in order when it polls', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [1, 2, 3, 4, 5].map((x) => jsonPayload(x)));
  for (const id of ids) t.like(await getTask(t, live, id), { status: 'waiting-for-ep', pending: true });
  const status = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  t.like(status, { status: 'offline', pending_tasks: 5, outstanding_tasks: 0 });
  const first = (await lease(live, endpointId, credential, 3)).body.tasks;
  t.deepEqual(first.map((x: { task_id: string }) => x.task_id), ids.slice(0, 3));
  const rest = (await lease(live, endpointId, credential, 10)).body.tasks;
  t.deepEqual(rest.map((x: { task_id: string }) => x.task_id), ids.slice(3));
  for (const id of ids) t.like(await getTask(t, live, id), { status: 'running', attempts: 1 });
});

serviceTest('payloads and results are opaque: a pickle-serialized task round-trips unchanged', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const payload = 'gASVCQAAAAAAAAB9lC4=';
  const submitted = await submitTo(live, endpointId, functionId, [payload], { extra: { serializer: 'pickle' } });
  const [taskId] = submitted.body.tasks[functionId];
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  t.like(task, { task_id: taskId, payload, serializer: 'pickle' });
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: 'gAVLKi4=', result_serializer: 'pickle' }]);
  t.like(await getTask(t, live, taskId), { status: 'success', result: 'gAVLKi4=', result_serializer: 'pickle' });
});

serviceTest('batch_status: results for my tasks; unknown ids and other users\' tasks are not_found', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [done, waiting] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: done, lease_token: task.lease_token, status: 'success', result: '2' }]);
  const bob = await live.tokenFor('bob');
  const unknown = randomUUID();
  const batch = await live.call('POST', '/v2/batch_status', { body: { task_ids: [done, waiting.toUpperCase(), unknown] } });
  t.is(batch.status, 200);
  assertSchema(t, 'batch-status-response.json', batch.body);
  t.like(batch.body.results[done], { status: 'success', result: '2', pending: false });
  t.like(batch.body.results[waiting], { status: 'waiting-for-ep', pending: true });
  t.deepEqual(batch.body.not_found, [unknown]);
  const asBob = await live.call('POST', '/v2/batch_status', { token: bob, body: { task_ids: [done, waiting] } });
  assertSchema(t, 'batch-status-response.json', asBob.body);
  t.deepEqual(asBob.body, { results: {}, not_found: [done, waiting] });
});

serviceTest('a mixed batch across endpoints keeps its order; its task group lists it, in pages', async (t, live) => {
  const a = await functionAndEndpoint(live);
  const b = await registerEndpoint(live, { name: 'second' });
  const body = { tasks: [0, 1, 2, 3].map((x) => ({ endpoint_id: x % 2 ? b.endpointId : a.endpointId, function_id: a.functionId, payload: jsonPayload(x) })) };
  const submitted = await live.call('POST', '/v3/submit', { body });
  t.is(submitted.status, 200);
  assertSchema(t, 'batch-submit-response.json', submitted.body);
  t.deepEqual(submitted.body.tasks.map((x: { endpoint_id: string }) => x.endpoint_id), [a.endpointId, b.endpointId, a.endpointId, b.endpointId]);
  const taskIds = submitted.body.tasks.map((x: { task_id: string }) => x.task_id);

  const group = await live.call('GET', `/v2/taskgroup/${submitted.body.task_group_id}`);
  t.is(group.status, 200);
  assertSchema(t, 'task-group.json', group.body);
  t.deepEqual(group.body.tasks.map((x: { id: string }) => x.id), taskIds);
  t.like(group.body, { taskgroup_id: submitted.body.task_group_id, total: 4 });
  t.like(group.body.tasks[0], { status: 'waiting-for-ep', pending: true, function_id: a.functionId, endpoint_id: a.endpointId });
  const page = await live.call('GET', `/v2/taskgroup/${submitted.body.task_group_id}?offset=1&limit=2`);
  assertSchema(t, 'task-group.json', page.body);
  t.deepEqual([page.body.total, page.body.tasks.map((x: { id: string }) => x.id)], [4, taskIds.slice(1, 3)]);

  const leased = (await lease(live, b.endpointId, b.credential)).body;
  t.deepEqual(leased.tasks.map((x: { payload: string }) => JSON.parse(x.payload).args[0]), [1, 3]);
});

serviceTest('a task group grows when submits name it, and is private to its submitter', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const groupId = randomUUID();
  const first = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { task_group_id: groupId } });
  const second = await submitTo(live, endpointId, functionId, [jsonPayload(2), jsonPayload(3)], { extra: { task_group_id: groupId.toUpperCase() } });
  t.is(first.body.task_group_id, groupId);
  t.is(second.body.task_group_id, groupId);
  const group = (await live.call('GET', `/v2/taskgroup/${groupId}`)).body;
  t.deepEqual(group.tasks.map((x: { id: string }) => x.id), [...first.body.tasks[functionId], ...second.body.tasks[functionId]]);
  const bob = await live.tokenFor('bob');
  const notFound = { code: 'TaskGroupNotFound', reason: `task group ${groupId} not found`, http_status_code: 404 };
  t.deepEqual((await live.call('GET', `/v2/taskgroup/${groupId}`, { token: bob })).body, notFound);
  t.deepEqual((await live.call('GET', `/v2/taskgroup/${NIL_UUID}`)).body, { ...notFound, reason: `task group ${NIL_UUID} not found` });
  t.deepEqual((await live.call('GET', '/v2/taskgroup/abc')).body, { code: 'InvalidUUID', reason: 'task_group_id "abc" is not a UUID', http_status_code: 400 });
});

serviceTest('user B cannot see A\'s task, and unknown or malformed task ids are refused', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const bob = await live.tokenFor('bob');
  const hidden = await live.call('GET', `/v2/tasks/${taskId}`, { token: bob });
  t.deepEqual([hidden.status, hidden.body], [404, { code: 'TaskNotFound', reason: `task ${taskId} not found`, http_status_code: 404 }]);
  assertSchema(t, 'error.json', hidden.body);
  t.deepEqual((await live.call('GET', `/v3/tasks/${NIL_UUID}`)).body, { code: 'TaskNotFound', reason: `task ${NIL_UUID} not found`, http_status_code: 404 });
  t.deepEqual((await live.call('GET', '/v2/tasks/1')).body, { code: 'InvalidUUID', reason: 'task_id "1" is not a UUID', http_status_code: 400 });
  // The upper-case id is the same task.
  t.is((await live.call('GET', `/v2/tasks/${taskId.toUpperCase()}`)).body.task_id, taskId);
});

serviceTest('one submit may carry several functions; ids come back per function, in payload order', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const other = await registerFunction(live);
  const submitted = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
    body: { tasks: { [functionId]: [jsonPayload(1), jsonPayload(2)], [other]: [jsonPayload(3)], [functionId.toUpperCase()]: [jsonPayload(4)] } },
  });
  assertSchema(t, 'task-submit-response.json', submitted.body);
  t.deepEqual(Object.keys(submitted.body.tasks).sort(), [functionId, other].sort());
  t.is(submitted.body.tasks[functionId].length, 3);
  const leased = (await lease(live, endpointId, credential)).body;
  const byId = new Map(leased.tasks.map((x: { task_id: string; payload: string }) => [x.task_id, JSON.parse(x.payload).args[0]]));
  t.deepEqual(submitted.body.tasks[functionId].map((id: string) => byId.get(id)), [1, 2, 4]);
  t.deepEqual(submitted.body.tasks[other].map((id: string) => byId.get(id)), [3]);
  t.deepEqual(Object.keys(leased.functions).sort(), [functionId, other].sort());
});
