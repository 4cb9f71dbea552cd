/** POST /v3/tasks/wait: a long-poll that answers as soon as the tasks are done. */
import { randomUUID } from 'node:crypto';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, pollSubscribed, postResults, submitOk } from './support.js';

serviceTest('timeout_s 0 answers at once with the task pending', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const answer = await live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 0 } });
  t.is(answer.status, 200);
  assertSchema(t, 'task-wait-response.json', answer.body);
  t.deepEqual(answer.body, { done: {}, pending: [taskId], not_found: [] });
});

serviceTest('a waiting client is answered when the endpoint posts the result', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const waiting = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 30 } });
  t.true(await pollSubscribed(live));
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  const answer = await waiting;
  t.is(answer.status, 200);
  assertSchema(t, 'task-wait-response.json', answer.body);
  t.deepEqual([answer.body.pending, answer.body.not_found], [[], []]);
  assertSchema(t, 'task.json', answer.body.done[taskId]);
  t.like(answer.body.done[taskId], { task_id: taskId, status: 'success', result: '2' });
}, { pollFallbackInterval: '1m' }); // so only the wake-up can answer it

serviceTest('a lone task\'s wait reads the tasks table twice: its first look, and the wake-up that finds it done, result and all', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  // Counted from the service's own pool (knex's query events): the wait's reads of tasks, from its first look to its answer
  // (the results post's and the reaper's reads of the ledger name lease_token or read no state; the wait's
  // always read the state and never the token).
  let reads = 0;
  const count = (query: { sql: string }) => {
    if (/^select .* from [`"]?tasks[`"]? /i.test(query.sql) && !query.sql.includes('lease_token') && /\bstate\b/.test(query.sql)) reads += 1;
  };
  live.db.on('query', count);
  t.teardown(() => live.db.off('query', count));
  const waiting = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 30 } });
  t.true(await pollSubscribed(live));
  t.is(reads, 1, 'the first look');
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '3' }]);
  const answer = await waiting;
  t.like(answer.body.done[taskId], { task_id: taskId, status: 'success', result: '3' });
  t.is(reads, 2, 'the wake-up\'s look, whose records answer: no read for the answer');
}, { pollFallbackInterval: '1m' });

serviceTest('ALL_COMPLETED waits for every task; FIRST_COMPLETED returns with the first', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [a, b] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const leased = (await lease(live, endpointId, credential)).body.tasks;
  const first = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [a, b], timeout_s: 30, return_when: 'FIRST_COMPLETED' } });
  t.true(await pollSubscribed(live));
  await postResults(live, endpointId, credential, [{ task_id: a, lease_token: leased[0].lease_token, status: 'success', result: '2' }]);
  const firstAnswer = (await first).body;
  assertSchema(t, 'task-wait-response.json', firstAnswer);
  t.deepEqual([Object.keys(firstAnswer.done), firstAnswer.pending], [[a], [b]]);

  const all = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [a, b], timeout_s: 30 } });
  t.true(await pollSubscribed(live));
  await postResults(live, endpointId, credential, [{ task_id: b, lease_token: leased[1].lease_token, status: 'success', result: '4' }]);
  const allAnswer = (await all).body;
  t.deepEqual([Object.keys(allAnswer.done).sort(), allAnswer.pending], [[a, b].sort(), []]);
}, { pollFallbackInterval: '1m' });

serviceTest('unknown ids and other users\' tasks are not_found; finished tasks answer at once', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  const unknown = randomUUID();
  const answer = await live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId, unknown, taskId.toUpperCase()], timeout_s: 30 } });
  assertSchema(t, 'task-wait-response.json', answer.body);
  t.deepEqual([Object.keys(answer.body.done), answer.body.pending, answer.body.not_found], [[taskId], [], [unknown]]);
  const bob = await live.tokenFor('bob');
  const asBob = await live.call('POST', '/v3/tasks/wait', { token: bob, body: { task_ids: [taskId], timeout_s: 30 } });
  t.deepEqual(asBob.body, { done: {}, pending: [], not_found: [taskId] });
});

serviceTest('a cancel answers a client waiting on the task', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const waiting = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 30 } });
  t.true(await pollSubscribed(live));
  await live.call('POST', `/v3/tasks/${taskId}/cancel`);
  const answer = (await waiting).body;
  t.like(answer.done[taskId], { status: 'cancelled', exception: { type: 'TaskCancelled' } });
}, { pollFallbackInterval: '1m' });

serviceTest('wait requests are checked: ids, count and timeout', async (t, live) => {
  const none = await live.call('POST', '/v3/tasks/wait', { body: { task_ids: [] } });
  t.like(none.body, { code: 'RequestMalformed', reason: 'invalid request: body/task_ids must NOT have fewer than 1 items', http_status_code: 400 });
  const bad = await live.call('POST', '/v3/tasks/wait', { body: { task_ids: ['abc'], timeout_s: 61 } });
  t.like(bad.body, { code: 'RequestMalformed', reason: 'invalid request: body/task_ids/0 must match format "uuid"; body/timeout_s must be <= 60', http_status_code: 400 });
  t.deepEqual(bad.body.details.map((d: { path: string }) => d.path), ['/task_ids/0', '/timeout_s']);
});
