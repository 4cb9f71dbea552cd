import { randomUUID } from 'node:crypto';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest, type LiveService } from '../helpers/service.js';

async function submit(live: LiveService, endpointId: string, functionId: string, payloads: string[], headers: Record<string, string> = {}, extra = {}) {
  return live.call('POST', `/v3/endpoints/${endpointId}/submit`, { headers, body: { tasks: { [functionId]: payloads }, ...extra } });
}

async function lease(live: LiveService, endpointId: string, credential: string, maxTasks = 10, waitS = 0) {
  const response = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: maxTasks, wait_s: waitS } });
  return response.body;
}

serviceTest('the tutorial over HTTP: submit, the endpoint leases and answers, the user reads the result', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const submitted = await submit(live, endpointId, functionId, [jsonPayload(21)]);
  t.is(submitted.status, 200);
  assertSchema(t, 'task-submit-response.json', submitted.body);
  const [taskId] = submitted.body.tasks[functionId];
  const waiting = await live.call('GET', `/v2/tasks/${taskId}`);
  assertSchema(t, 'task.json', waiting.body);
  t.like(waiting.body, { status: 'waiting-for-ep', pending: true, attempts: 0, completion_t: null });

  const leased = await lease(live, endpointId, credential);
  assertSchema(t, 'endpoint-lease-response.json', leased);
  t.like(leased.tasks[0], { task_id: taskId, attempt: 1, payload: jsonPayload(21), serializer: 'json' });
  t.like(leased.functions[functionId], { runtime: 'python', entry_point: 'double' });
  const posted = await live.call('POST', `/v3/endpoints/${endpointId}/results`, {
    token: credential,
    body: { results: [{ task_id: taskId, lease_token: leased.tasks[0].lease_token, status: 'success', result: '42' }] },
  });
  assertSchema(t, 'endpoint-results-response.json', posted.body);
  t.deepEqual(posted.body, { results: [{ task_id: taskId, outcome: 'stored' }] });
  const done = await live.call('GET', `/v2/tasks/${taskId}`);
  assertSchema(t, 'task.json', done.body);
  t.like(done.body, { status: 'success', pending: false, result: '42', result_serializer: 'json', attempts: 1 });
  t.regex(done.body.completion_t, /^\d+\.\d{3}$/);
  const batch = await live.call('POST', '/v2/batch_status', { body: { task_ids: [taskId, randomUUID()] } });
  assertSchema(t, 'batch-status-response.json', batch.body);
  t.is(batch.body.results[taskId].result, '42');
  t.is(batch.body.not_found.length, 1);
});

serviceTest('a mixed batch across endpoints keeps its order; its task group lists it', async (t, live) => {
  const a = await functionAndEndpoint(live);
  const b = (await live.call('POST', '/v3/endpoints', { body: { name: 'second' } })).body;
  const body = { tasks: [0, 1, 2, 3].map((x) => ({ endpoint_id: x % 2 ? b.endpoint_id : a.endpointId, function_id: a.functionId, payload: jsonPayload(x) })) };
  const submitted = await live.call('POST', '/v3/submit', { body });
  assertSchema(t, 'batch-submit-response.json', submitted.body);
  t.deepEqual(submitted.body.tasks.map((x: { endpoint_id: string }) => x.endpoint_id), [a.endpointId, b.endpoint_id, a.endpointId, b.endpoint_id]);
  const group = await live.call('GET', `/v2/taskgroup/${submitted.body.task_group_id}`);
  assertSchema(t, 'task-group.json', group.body);
  t.deepEqual(group.body.tasks.map((x: { id: string }) => x.id), submitted.body.tasks.map((x: { task_id: string }) => x.task_id));
  t.is(group.body.total, 4);
  const leased = await lease(live, b.endpoint_id, b.credential);
  t.deepEqual(leased.tasks.map((x: { payload: string }) => JSON.parse(x.payload).args[0]), [1, 3]);
});

serviceTest('submits are idempotent on an Idempotency-Key, and on a task group with the same body', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const first = await submit(live, endpointId, functionId, [jsonPayload(1)], { 'idempotency-key': 'k1' });
  const replay = await submit(live, endpointId, functionId, [jsonPayload(1)], { 'idempotency-key': 'k1' });
  t.deepEqual(replay.body, first.body);
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  const conflict = await submit(live, endpointId, functionId, [jsonPayload(2)], { 'idempotency-key': 'k1' });
  t.deepEqual(conflict.body, { code: 'IdempotencyKeyReused', reason: 'this Idempotency-Key was already used for a different request', http_status_code: 409 });
  const group = randomUUID();
  const g1 = await submit(live, endpointId, functionId, [jsonPayload(1)], {}, { task_group_id: group });
  const g2 = await submit(live, endpointId, functionId, [jsonPayload(1)], {}, { task_group_id: group });
  const g3 = await submit(live, endpointId, functionId, [jsonPayload(3)], {}, { task_group_id: group });
  t.deepEqual(g2.body.tasks, g1.body.tasks);
  t.notDeepEqual(g3.body.tasks, g1.body.tasks);
  t.is((await live.call('GET', `/v2/taskgroup/${group}`)).body.total, 2);
});

serviceTest('limits: payload, batch and body sizes are refused before anything is stored', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const big = await submit(live, endpointId, functionId, [jsonPayload(1), 'x'.repeat(2001)]);
  t.deepEqual(big.body, { code: 'TaskPayloadTooLarge', reason: "task 1's payload is 2001 bytes; the limit is 2000", http_status_code: 413, details: { index: 1, size: 2001 } });
  const many = await submit(live, endpointId, functionId, Array(6).fill(jsonPayload(1)));
  t.deepEqual(many.body, { code: 'BatchRunTooLarge', reason: '6 tasks in one submit; the limit is 5', http_status_code: 413 });
  const huge = await submit(live, endpointId, functionId, ['y'.repeat(5000)]);
  t.is(huge.body.code, 'RequestBodyTooLarge');
  t.is(huge.status, 413);
  t.is(Number((await live.db('tasks').count({ n: '*' }))[0].n), 0);
}, { maxPayloadBytes: 2000, maxBatchTasks: 5, maxBodyBytes: 4096 });

serviceTest('the lease long-poll answers as soon as a task is submitted', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const polling = lease(live, endpointId, credential, 5, 30);
  // Submit once the poll is waiting on its wake-up.
  for (let i = 0; i < 1000 && live.service.deps.wakeups.size === 0; i++) await new Promise((r) => setTimeout(r, 5));
  t.is(live.service.deps.wakeups.size, 1);
  const [taskId] = (await submit(live, endpointId, functionId, [jsonPayload(7)])).body.tasks[functionId];
  const leased = await polling;
  t.deepEqual(leased.tasks.map((x: { task_id: string }) => x.task_id), [taskId]);
}, { pollFallbackInterval: '1m' }); // so only the wake-up can answer it

serviceTest('waiting for results: /v3/tasks/wait returns when the result is posted', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = (await submit(live, endpointId, functionId, [jsonPayload(1)])).body.tasks[functionId];
  const timedOut = await live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 0 } });
  assertSchema(t, 'task-wait-response.json', timedOut.body);
  t.deepEqual(timedOut.body, { done: {}, pending: [taskId], not_found: [] });
  const waiting = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 30 } });
  const leased = await lease(live, endpointId, credential);
  await live.call('POST', `/v3/endpoints/${endpointId}/results`, { token: credential, body: { results: [{ task_id: taskId, lease_token: leased.tasks[0].lease_token, status: 'success', result: '2' }] } });
  const answer = (await waiting).body;
  t.deepEqual(answer.pending, []);
  t.is(answer.done[taskId].result, '2');
}, { pollFallbackInterval: '1m' });

serviceTest('cancel: a waiting task is never leased; a running one is named in the next heartbeat; finished ones refuse', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [first, second] = (await submit(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)])).body.tasks[functionId];
  const [leasedFirst] = (await lease(live, endpointId, credential, 1)).tasks;
  const cancelledRunning = await live.call('POST', `/v3/tasks/${first}/cancel`);
  assertSchema(t, 'task.json', cancelledRunning.body);
  t.like(cancelledRunning.body, { status: 'cancelled', pending: false, exception: { type: 'TaskCancelled' } });
  await live.call('POST', `/v3/tasks/${second}/cancel`);
  t.deepEqual((await lease(live, endpointId, credential)).tasks, []);
  const beat = await live.call('POST', `/v3/endpoints/${endpointId}/heartbeat`, {
    token: credential,
    body: { total_workers: 1, idle_workers: 0, outstanding_tasks: 1, pending_tasks: 0, leases: [{ task_id: first, lease_token: leasedFirst.lease_token }, { task_id: second, lease_token: 'stale' }] },
  });
  assertSchema(t, 'endpoint-heartbeat-response.json', beat.body);
  t.deepEqual([beat.body.cancel, beat.body.lost, beat.body.extended], [[first], [second], 0]);
  const again = await live.call('POST', `/v3/tasks/${first}/cancel`);
  t.deepEqual(again.body, { code: 'TaskAlreadyFinished', reason: `task ${first} already finished (cancelled)`, http_status_code: 409 });
});

serviceTest('visibility and access: others cannot read my tasks, use my endpoint or my private function', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const bob = await live.tokenFor('bob');
  const [taskId] = (await submit(live, endpointId, functionId, [jsonPayload(1)])).body.tasks[functionId];
  t.deepEqual((await live.call('GET', `/v2/tasks/${taskId}`, { token: bob })).body, { code: 'TaskNotFound', reason: `task ${taskId} not found`, http_status_code: 404 });
  const bobsEndpoint = (await live.call('POST', '/v3/endpoints', { token: bob, body: { name: 'bobs' } })).body;
  const privateFn = await live.call('POST', `/v3/endpoints/${bobsEndpoint.endpoint_id}/submit`, { token: bob, body: { tasks: { [functionId]: [jsonPayload(1)] } } });
  t.is(privateFn.body.code, 'FunctionNotFound');
  const bobsFn = (await live.call('POST', '/v3/functions', { token: bob, body: { runtime: 'python', source: 'def f():\n    pass\n', entry_point: 'f', public: true } })).body.function_uuid;
  const onMine = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { token: bob, body: { tasks: { [bobsFn]: [jsonPayload(1)] } } });
  t.is(onMine.body.code, 'EndpointNotFound'); // private endpoints are not revealed
  await live.call('PUT', `/v3/endpoints/${endpointId}`, { body: { name: 'test-endpoint', public: true } });
  const onListed = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { token: bob, body: { tasks: { [bobsFn]: [jsonPayload(1)] } } });
  t.deepEqual(onListed.body, { code: 'EndpointAccessForbidden', reason: `you may not run tasks on endpoint ${endpointId}`, http_status_code: 403 });
  // Endpoint credentials are for their own endpoint's protocol routes only.
  t.is((await live.call('POST', `/v3/endpoints/${bobsEndpoint.endpoint_id}/lease`, { token: credential, body: { max_tasks: 1, wait_s: 0 } })).body.code, 'EndpointAccessForbidden');
  t.is((await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { body: { max_tasks: 1, wait_s: 0 } })).body.code, 'EndpointCredentialInvalid');
  t.is((await live.call('GET', `/v2/tasks/${taskId}`, { token: credential })).body.code, 'UserUnauthenticated');
});
