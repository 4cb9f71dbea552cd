/** Cancelling a whole task group, and the endpoint's cancel watch that hears of a cancel at once. */
import { assertSchema, jsonPayload, serviceTest } from '../helpers/service.js';
import { sleep } from '../../src/util/time.js';
import { getTask, lease, postResults, registerEndpoint, registerFunction, submitOk } from './support.js';

serviceTest('a task group cancelled: its unfinished tasks are cancelled, the finished ones listed with their state', async (t, live) => {
  const fn = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const submitted = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [fn]: [jsonPayload(1), jsonPayload(2), jsonPayload(3)] } } });
  const groupId = submitted.body.task_group_id;
  const [done, running, waiting] = submitted.body.tasks[fn];
  const leased = (await lease(live, endpointId, credential, 2)).body.tasks;
  const doneLease = leased.find((x: { task_id: string }) => x.task_id === done);
  await postResults(live, endpointId, credential, [{ task_id: done, lease_token: doneLease.lease_token, status: 'success', result: '2' }]);
  const answer = await live.call('POST', `/v3/task_groups/${groupId}/cancel`);
  t.is(answer.status, 200, JSON.stringify(answer.body));
  assertSchema(t, 'task-group-cancel-response.json', answer.body);
  t.deepEqual(answer.body, { task_group_id: groupId, cancelled: [running, waiting], not_cancelled: [{ task_id: done, status: 'success' }] });
  t.like(await getTask(t, live, running), { status: 'cancelled', exception: { type: 'TaskCancelled' } });
  t.like(await getTask(t, live, waiting), { status: 'cancelled' });
  t.deepEqual((await lease(live, endpointId, credential, 5)).body.tasks, []);
  // Again: nothing left to cancel. Another user: the group does not exist for them.
  t.deepEqual((await live.call('POST', `/v3/task_groups/${groupId}/cancel`)).body.cancelled, []);
  const bob = await live.tokenFor('bob');
  t.deepEqual((await live.call('POST', `/v3/task_groups/${groupId}/cancel`, { token: bob })).body,
    { code: 'TaskGroupNotFound', reason: `task group ${groupId} not found`, http_status_code: 404 });
});

serviceTest('the cancel watch answers when a held task is cancelled, and only for this endpoint\'s tasks', async (t, live) => {
  const fn = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const other = await registerEndpoint(live, { name: 'other' });
  const [held, kept] = await submitOk(live, endpointId, fn, [jsonPayload(1), jsonPayload(2)]);
  await lease(live, endpointId, credential, 2);
  // Nothing cancelled: the watch waits its wait_s out and answers empty.
  const quiet = await live.call('POST', `/v3/endpoints/${endpointId}/cancels`, { token: credential, body: { task_ids: [held, kept], wait_s: 0 } });
  assertSchema(t, 'endpoint-cancels-response.json', quiet.body);
  t.deepEqual(quiet.body, { cancel: [] });
  // wait_s 60 and no fallback re-check for 10 minutes: only the cancel's wake-up can answer it
  // well before 60 s (45 s is a bound that no load reaches, not a measurement).
  const watching = live.call('POST', `/v3/endpoints/${endpointId}/cancels`, { token: credential, body: { task_ids: [held, kept], wait_s: 60 } });
  const elsewhere = live.call('POST', `/v3/endpoints/${other.endpointId}/cancels`, { token: other.credential, body: { task_ids: [held], wait_s: 1 } });
  await live.call('POST', `/v3/tasks/${held}/cancel`);
  const tooLate = new AbortController();
  const answered = await Promise.race([watching, sleep(45_000, tooLate.signal).then(() => 'no answer' as const)]);
  tooLate.abort();
  t.not(answered, 'no answer', 'the watch did not wake up on the cancel');
  t.deepEqual((await watching).body, { cancel: [held] });
  // Another endpoint's credential learns nothing of this endpoint's tasks.
  t.deepEqual((await elsewhere).body, { cancel: [] });
  const refused = await live.call('POST', `/v3/endpoints/${endpointId}/cancels`, { token: other.credential, body: { task_ids: [held] } });
  t.is(refused.status, 403);
}, { pollFallbackInterval: '10m' });
