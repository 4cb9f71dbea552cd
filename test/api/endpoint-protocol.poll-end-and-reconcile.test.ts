/**
 * The two calls that keep a lease from waiting for nobody: a stopping agent
 * ends its own waiting poll (polls/end), and a starting or reconnecting agent
 * says which leases it holds (reconcile).
 */
import { functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { within } from '../helpers/within.js';
import { lease, pollSubscribed, registerEndpoint, submitOk } from './support.js';

serviceTest('polls/end answers a waiting poll (wait_s 60) at once, empty, and it leases nothing afterwards', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const other = await registerEndpoint(live, { name: 'other' });
  const otherPoll = lease(live, other.endpointId, other.credential, 5, 3);
  const polling = lease(live, endpointId, credential, 5, 60);
  t.true(await pollSubscribed(live, 4)); // both polls wait, each on its queue and its end
  const ended = await live.call('POST', `/v3/endpoints/${endpointId}/polls/end`, { token: credential, body: {} });
  t.deepEqual([ended.status, ended.body], [200, { ended: 1 }]);
  // Far under wait_s: the end, not the poll's own timeout, answered it.
  const answer = await within(20_000, 'the ended poll to answer', polling);
  t.deepEqual(answer.body, { lease_seconds: 60, tasks: [], functions: {} });
  // Work submitted now stays queued for the next poll; the other endpoint's poll was not ended.
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  t.like(await live.db('tasks').where({ id: taskId }).first(), { state: 'waiting-for-ep', attempts: 0 });
  t.is((await otherPoll).status, 200);
  t.deepEqual((await live.call('POST', `/v3/endpoints/${endpointId}/polls/end`, { token: credential, body: {} })).body, { ended: 0 });
}, { pollFallbackInterval: '1m' });

serviceTest('polls/end and reconcile take only the endpoint\'s own credential, and a well-formed body', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const other = await registerEndpoint(live, { name: 'other' });
  for (const [route, body] of [['polls/end', {}], ['reconcile', { held: [] }]] as const) {
    const crossed = await live.call('POST', `/v3/endpoints/${other.endpointId}/${route}`, { token: credential, body });
    t.deepEqual(crossed.body, { code: 'EndpointAccessForbidden', reason: 'an endpoint credential works only for its own endpoint', http_status_code: 403 });
    t.is((await live.call('POST', `/v3/endpoints/${endpointId}/${route}`, { token: live.adminToken, body })).status, 401);
  }
  const extra = await live.call('POST', `/v3/endpoints/${endpointId}/polls/end`, { token: credential, body: { now: true } });
  t.like(extra.body, { code: 'RequestMalformed', http_status_code: 400 });
  const noHeld = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: {} });
  t.like(noHeld.body, { code: 'RequestMalformed', reason: 'invalid request: body is missing "held"', http_status_code: 400 });
  const badId = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { held: [{ task_id: 'x', lease_token: 'y' }] } });
  t.like(badId.body, { code: 'RequestMalformed', http_status_code: 400 });
});

serviceTest('reconcile returns the leases not held to the queue (attempt not counted), keeps the held one, and ends a waiting poll', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [1, 2, 3].map((x) => jsonPayload(x)));
  const leased = (await lease(live, endpointId, credential, 3)).body.tasks as { task_id: string; lease_token: string }[];
  t.is(leased.length, 3);
  const stalePoll = lease(live, endpointId, credential, 5, 60); // a poll nobody waits on any more
  t.true(await pollSubscribed(live, 2));

  const reconciled = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { held: [{ task_id: leased[0].task_id, lease_token: leased[0].lease_token }] } });
  t.is(reconciled.status, 200);
  t.deepEqual([...reconciled.body.released].sort(), [ids[1], ids[2]].sort());
  // The stale poll ended before the release, so it took none of them.
  t.deepEqual((await within(20_000, 'the stale poll to end', stalePoll)).body.tasks, []);
  const rows = await live.db('tasks').whereIn('id', ids).select('id', 'state', 'attempts');
  t.deepEqual(Object.fromEntries(rows.map((r) => [r.id, [r.state, Number(r.attempts)]])), {
    [ids[0]]: ['running', 1],
    [ids[1]]: ['waiting-for-ep', 0],
    [ids[2]]: ['waiting-for-ep', 0],
  });
  const task = await live.call('GET', `/v3/tasks/${ids[1]}`);
  t.like(task.body.details.attempt_history[0], { attempt: 1, reason: 'LeaseReturned' });
  // The next lease takes them again, as attempt 1.
  const again = (await lease(live, endpointId, credential, 5)).body.tasks as { task_id: string; attempt: number }[];
  t.deepEqual(again.map((x) => [x.task_id, x.attempt]).sort(), [[ids[1], 1], [ids[2], 1]].sort());
}, { pollFallbackInterval: '1m' });
