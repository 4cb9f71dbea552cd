/**
 * A call: a submit with wait_s holds its answer until its tasks are done (or wait_s passes), and
 * answers their records with the task ids, as POST /v3/tasks/wait would: one request for a task
 * that runs and returns, as AWS Lambda's RequestResponse invocation.
 */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, pollSubscribed, postResults, submitTo, taskCount } from './support.js';

serviceTest('a submit with wait_s answers once the endpoint posts the result, with the task\'s record', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const calling = submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { wait_s: 30 } });
  t.true(await pollSubscribed(live), 'the call waits on its task');
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '2' }]);
  const answer = await calling;
  t.is(answer.status, 200);
  assertSchema(t, 'task-submit-response.json', answer.body);
  const [taskId] = answer.body.tasks[functionId];
  t.is(taskId, task.task_id);
  t.deepEqual([Object.keys(answer.body.wait.done), answer.body.wait.pending, answer.body.wait.not_found], [[taskId], [], []]);
  assertSchema(t, 'task.json', answer.body.wait.done[taskId]);
  t.like(answer.body.wait.done[taskId], { task_id: taskId, status: 'success', result: '2' });
}, { pollFallbackInterval: '1m' }); // so only the result's wake-up can answer it

serviceTest('a mixed batch with wait_s waits for all its tasks, a failed one with its exception', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const calling = live.call('POST', '/v3/submit', {
    body: { wait_s: 30, tasks: [1, 2].map((x) => ({ endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(x) })) },
  });
  t.true(await pollSubscribed(live));
  const [first, second] = (await lease(live, endpointId, credential)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: first.task_id, lease_token: first.lease_token, status: 'success', result: '2' }]);
  await postResults(live, endpointId, credential, [{ task_id: second.task_id, lease_token: second.lease_token, status: 'failed', exception: { type: 'ValueError', message: 'no' } }]);
  const answer = await calling;
  t.is(answer.status, 200);
  assertSchema(t, 'batch-submit-response.json', answer.body);
  t.deepEqual(answer.body.tasks.map((task: { task_id: string }) => task.task_id), [first.task_id, second.task_id]);
  t.deepEqual(answer.body.wait.pending, []);
  t.like(answer.body.wait.done[first.task_id], { status: 'success', result: '2' });
  t.like(answer.body.wait.done[second.task_id], { status: 'failed' });
}, { pollFallbackInterval: '1m' });

serviceTest('when wait_s passes first, the answer names the task pending, and the task stays submitted', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const answer = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { wait_s: 1 } });
  t.is(answer.status, 200);
  assertSchema(t, 'task-submit-response.json', answer.body);
  const [taskId] = answer.body.tasks[functionId];
  t.deepEqual(answer.body.wait, { done: {}, pending: [taskId], not_found: [] });
  t.is(await taskCount(live), 1);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  t.is(task.task_id, taskId, 'the endpoint still gets it');
});

serviceTest('without wait_s (or with 0) the submit answers at once and carries no wait', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  for (const extra of [{}, { wait_s: 0 }]) {
    const answer = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra });
    t.is(answer.status, 200);
    t.false('wait' in answer.body);
  }
  const tooLong = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { wait_s: 61 } });
  t.is(tooLong.status, 400);
  t.is(tooLong.body.code, 'RequestMalformed');
});

serviceTest('a call waits for at most 1,000 tasks, as a wait does: a larger one is refused before anything is written', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const payloads = Array.from({ length: 1001 }, (_, i) => jsonPayload(i));
  const perEndpoint = await submitTo(live, endpointId, functionId, payloads, { extra: { wait_s: 1 } });
  t.is(perEndpoint.status, 400);
  t.is(perEndpoint.body.code, 'RequestMalformed');
  t.regex(perEndpoint.body.reason, /at most 1000 tasks/);
  const mixed = await live.call('POST', '/v3/submit', {
    body: { wait_s: 1, tasks: payloads.map((payload) => ({ endpoint_id: endpointId, function_id: functionId, payload })) },
  });
  t.is(mixed.status, 400);
  t.is(mixed.body.code, 'RequestMalformed');
  t.is(await taskCount(live), 0);
  const thousand = await submitTo(live, endpointId, functionId, payloads.slice(0, 1000), { extra: { wait_s: 1 } });
  t.is(thousand.status, 200);
  t.is(thousand.body.wait.pending.length, 1000);
});

serviceTest('a retried call (same Idempotency-Key) creates no second task and answers the first one\'s result', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const headers = { 'idempotency-key': 'call-1' };
  const first = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { headers, extra: { wait_s: 1 } });
  const [taskId] = first.body.tasks[functionId];
  t.deepEqual(first.body.wait.pending, [taskId]); // as if its answer were lost to the client
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  // The same request again (wait_s is part of the body the key is bound to), now answered from the finished task.
  const retried = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { headers, extra: { wait_s: 1 } });
  t.is(retried.status, 200);
  t.is(retried.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(retried.body.tasks[functionId], [taskId]);
  t.like(retried.body.wait.done[taskId], { status: 'success', result: '2' });
  t.is(await taskCount(live), 1);
});
