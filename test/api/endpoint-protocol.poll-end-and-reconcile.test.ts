/**
 * The two calls that keep a lease from waiting for nobody: a stopping agent
 * ends its own waiting poll (polls/end), and a starting or reconnecting agent
 * says which leases it holds (reconcile). Both are scoped to agent sessions:
 * the same endpoint id may run on two hosts, each agent with its own session.
 */
import { functionAndEndpoint, jsonPayload, serviceTest, type LiveService } from '../helpers/service.js';
import { within } from '../helpers/within.js';
import { lease, pollSubscribed, registerEndpoint, submitOk } from './support.js';

const SESSION = 'agent-session-1';
const PREVIOUS_RUN = 'agent-session-0';
const OTHER_HOST = 'agent-session-on-another-host';

/** A lease call as an agent of `session` makes it. */
function leaseAs(live: LiveService, endpointId: string, credential: string, session: string, maxTasks = 10, waitS = 0) {
  return live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: maxTasks, wait_s: waitS, session } });
}

type Lease = { task_id: string; lease_token: string };

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
  for (const [route, body] of [['polls/end', {}], ['reconcile', { session: SESSION, held: [] }]] as const) {
    const crossed = await live.call('POST', `/v3/endpoints/${other.endpointId}/${route}`, { token: credential, body });
    t.deepEqual(crossed.body, { code: 'EndpointAccessForbidden', reason: 'an endpoint credential works only for its own endpoint', http_status_code: 403 });
    t.is((await live.call('POST', `/v3/endpoints/${endpointId}/${route}`, { token: live.adminToken, body })).status, 401);
  }
  const extra = await live.call('POST', `/v3/endpoints/${endpointId}/polls/end`, { token: credential, body: { now: true } });
  t.like(extra.body, { code: 'RequestMalformed', http_status_code: 400 });
  const noHeld = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { session: SESSION } });
  t.like(noHeld.body, { code: 'RequestMalformed', reason: 'invalid request: body is missing "held"', http_status_code: 400 });
  // No session: a reconcile is always scoped to the caller's sessions, never the whole endpoint.
  const noSession = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { held: [] } });
  t.like(noSession.body, { code: 'RequestMalformed', reason: 'invalid request: body is missing "session"', http_status_code: 400 });
  const badId = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { session: SESSION, held: [{ task_id: 'x', lease_token: 'y' }] } });
  t.like(badId.body, { code: 'RequestMalformed', http_status_code: 400 });
  const badSession = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 1, wait_s: 0, session: 'a b' } });
  t.like(badSession.body, { code: 'RequestMalformed', http_status_code: 400 });
});

serviceTest('polls/end naming a session ends only that agent session\'s poll; the other agent of the endpoint keeps polling', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const mine = leaseAs(live, endpointId, credential, SESSION, 5, 60);
  const theirs = leaseAs(live, endpointId, credential, OTHER_HOST, 5, 60);
  t.true(await pollSubscribed(live, 4)); // the queue, the endpoint's end, and each session's end
  const ended = await live.call('POST', `/v3/endpoints/${endpointId}/polls/end`, { token: credential, body: { session: SESSION } });
  t.deepEqual([ended.status, ended.body], [200, { ended: 1 }]);
  t.deepEqual((await within(20_000, 'the session\'s poll to answer', mine)).body.tasks, []);
  // The other session's poll still waits: work submitted now goes to it.
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const answer = await within(20_000, 'the other session\'s poll to lease the task', theirs);
  t.deepEqual((answer.body.tasks as Lease[]).map((l) => l.task_id), [taskId]);
}, { pollFallbackInterval: '1m' });

serviceTest('reconcile returns the session\'s leases not held to the queue (attempt not counted), keeps the held one, and ends the session\'s waiting poll', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [1, 2, 3].map((x) => jsonPayload(x)));
  const leased = (await leaseAs(live, endpointId, credential, SESSION, 3)).body.tasks as Lease[];
  t.is(leased.length, 3);
  const stalePoll = leaseAs(live, endpointId, credential, SESSION, 5, 60); // a poll nobody waits on any more
  t.true(await pollSubscribed(live, 3));

  const reconciled = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { session: SESSION, held: [{ task_id: leased[0].task_id, lease_token: leased[0].lease_token }] } });
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

serviceTest('a reconcile never returns another session\'s lease: a second agent of the endpoint starting leaves the first one\'s running tasks and poll', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [1, 2].map((x) => jsonPayload(x)));
  const busy = (await leaseAs(live, endpointId, credential, OTHER_HOST, 2)).body.tasks as Lease[];
  t.is(busy.length, 2);
  const theirPoll = leaseAs(live, endpointId, credential, OTHER_HOST, 5, 60);
  t.true(await pollSubscribed(live, 3));

  // A second agent of the same endpoint id starts (another FUNCX_HOME: no previous session), holding nothing.
  const reconciled = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, { token: credential, body: { session: SESSION, previous: [], held: [] } });
  t.deepEqual([reconciled.status, reconciled.body], [200, { released: [] }]);
  const rows = await live.db('tasks').whereIn('id', ids).select('id', 'state', 'lease_token', 'attempts');
  t.deepEqual(Object.fromEntries(rows.map((r) => [r.id, [r.state, r.lease_token, Number(r.attempts)]])), Object.fromEntries(busy.map((l) => [l.task_id, ['running', l.lease_token, 1]])));
  // The first agent's poll was not ended: work submitted now goes to it.
  const [next] = await submitOk(live, endpointId, functionId, [jsonPayload(3)]);
  const answer = await within(20_000, 'the first agent\'s poll to lease the new task', theirPoll);
  t.deepEqual((answer.body.tasks as Lease[]).map((l) => l.task_id), [next]);
}, { pollFallbackInterval: '1m' });

serviceTest('a start\'s reconcile returns the previous session\'s unheld leases (killed with -9), keeping the one whose result is in its spool', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [1, 2, 3].map((x) => jsonPayload(x)));
  const leased = (await leaseAs(live, endpointId, credential, PREVIOUS_RUN, 3)).body.tasks as Lease[];
  t.is(leased.length, 3);
  const spooled = leased[0];

  const reconciled = await live.call('POST', `/v3/endpoints/${endpointId}/reconcile`, {
    token: credential,
    body: { session: SESSION, previous: [PREVIOUS_RUN], held: [{ task_id: spooled.task_id, lease_token: spooled.lease_token }] },
  });
  t.is(reconciled.status, 200);
  t.deepEqual([...reconciled.body.released].sort(), leased.slice(1).map((l) => l.task_id).sort());
  const rows = await live.db('tasks').whereIn('id', ids).select('id', 'state', 'attempts');
  t.deepEqual(Object.fromEntries(rows.map((r) => [r.id, [r.state, Number(r.attempts)]])), {
    [spooled.task_id]: ['running', 1],
    [leased[1].task_id]: ['waiting-for-ep', 0],
    [leased[2].task_id]: ['waiting-for-ep', 0],
  });
  // The spooled result is still accepted under its lease.
  const posted = await live.call('POST', `/v3/endpoints/${endpointId}/results`, { token: credential, body: { results: [{ task_id: spooled.task_id, lease_token: spooled.lease_token, status: 'success', result: '1', result_serializer: 'json' }] } });
  t.is(posted.status, 200);
  t.like(await live.db('tasks').where({ id: spooled.task_id }).first(), { state: 'success' });
});
