/** What an endpoint posts: results (exactly once, under its lease token) and heartbeats (status, lease extension, cancel, lost). */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { NIL_UUID, getTask, heartbeat, lease, postResults, registerEndpoint, submitOk } from './support.js';
import { assertExtendedBy, onDatabaseClock } from '../helpers/leaseClock.js';

serviceTest('results: stored once; a replay is a duplicate; a wrong token or a stranger\'s task is rejected', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const other = await registerEndpoint(live, { name: 'other' });
  const [mine, stale] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const [theirs] = await submitOk(live, other.endpointId, functionId, [jsonPayload(3)]);
  const leased = (await lease(live, endpointId, credential)).body.tasks;
  const [theirLease] = (await lease(live, other.endpointId, other.credential)).body.tasks;
  const posted = await postResults(live, endpointId, credential, [
    { task_id: mine, lease_token: leased[0].lease_token, status: 'success', result: '2' },
    { task_id: stale, lease_token: 'not-the-token', status: 'success', result: '4' },
    { task_id: theirs, lease_token: theirLease.lease_token, status: 'success', result: '6' },
    { task_id: NIL_UUID, lease_token: 'x', status: 'success', result: '0' },
    { task_id: mine, lease_token: leased[0].lease_token, status: 'success', result: '2' }, // a second copy in the batch
  ]);
  t.is(posted.status, 200);
  assertSchema(t, 'endpoint-results-response.json', posted.body);
  t.deepEqual(posted.body.results, [
    { task_id: mine, outcome: 'stored' },
    { task_id: stale, outcome: 'rejected', code: 'LeaseLost', reason: 'the lease expired and the task was handed on; this result is stale' },
    { task_id: theirs, outcome: 'rejected', code: 'TaskNotFound', reason: 'no such task for this endpoint' },
    { task_id: NIL_UUID, outcome: 'rejected', code: 'TaskNotFound', reason: 'no such task for this endpoint' },
    { task_id: mine, outcome: 'duplicate' },
  ]);
  const replay = await postResults(live, endpointId, credential, [{ task_id: mine, lease_token: leased[0].lease_token, status: 'success', result: 'changed' }]);
  t.deepEqual(replay.body, { results: [{ task_id: mine, outcome: 'duplicate' }] });
  t.like(await getTask(t, live, mine), { status: 'success', result: '2' });
  t.like(await getTask(t, live, stale), { status: 'running' });
  t.like(await getTask(t, live, theirs), { status: 'running' });
});

serviceTest('results: retry requeues the task for another attempt; the result of the new attempt is kept', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [first] = (await lease(live, endpointId, credential)).body.tasks;
  const lost = await postResults(live, endpointId, credential, [
    { task_id: taskId, lease_token: first.lease_token, status: 'failed', retry: true, exception: { type: 'WorkerLost', message: 'worker 3 died' } },
  ]);
  t.deepEqual(lost.body, { results: [{ task_id: taskId, outcome: 'requeued' }] });
  t.like(await getTask(t, live, taskId), { status: 'waiting-for-ep', pending: true, attempts: 1 });
  const [second] = (await lease(live, endpointId, credential)).body.tasks;
  t.like(second, { task_id: taskId, attempt: 2 });
  t.not(second.lease_token, first.lease_token);
  const old = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: first.lease_token, status: 'success', result: 'old' }]);
  t.like(old.body.results[0], { outcome: 'rejected', code: 'LeaseLost' });
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: second.lease_token, status: 'success', result: 'new' }]);
  const done = await getTask(t, live, taskId);
  t.like(done, { status: 'success', result: 'new', attempts: 2 });
  t.like(done.details.attempt_history[0], { attempt: 1, reason: 'WorkerLost', message: 'worker 3 died' });
});

serviceTest('results: a result over maxResultBytes fails the task with TaskResultTooLarge', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  const posted = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: 'z'.repeat(101) }]);
  t.deepEqual(posted.body, { results: [{ task_id: taskId, outcome: 'stored' }] });
  const failed = await getTask(t, live, taskId);
  t.like(failed, { status: 'failed', exception: { type: 'TaskResultTooLarge', message: "the task's result is 101 bytes; this service keeps results up to 100 bytes" } });
  t.false('result' in failed);
}, { maxResultBytes: 100 });

serviceTest('results need the endpoint\'s credential and a well-formed body', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const asUser = await live.call('POST', `/v3/endpoints/${endpointId}/results`, { body: { results: [{ task_id: NIL_UUID, lease_token: 'x', status: 'success' }] } });
  t.deepEqual(asUser.body, { code: 'EndpointCredentialInvalid', reason: 'this route takes an endpoint credential: Authorization: Bearer fxe_...', http_status_code: 401 });
  const empty = await postResults(live, endpointId, credential, []);
  t.like(empty.body, { code: 'RequestMalformed', reason: 'invalid request: body/results must NOT have fewer than 1 items', http_status_code: 400 });
  const badStatus = await live.call('POST', `/v3/endpoints/${endpointId}/results`, { token: credential, body: { results: [{ task_id: NIL_UUID, lease_token: 'x', status: 'done' }] } });
  t.like(badStatus.body, { code: 'RequestMalformed', reason: 'invalid request: body/results/0/status must be equal to one of the allowed values', http_status_code: 400 });
});

serviceTest('heartbeat: marks the endpoint online, with total_workers in status logs[0]', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { status: 'offline' });
  const beat = await heartbeat(live, endpointId, credential, { total_workers: 16, idle_workers: 12, outstanding_tasks: 4, pending_tasks: 0 });
  t.is(beat.status, 200);
  assertSchema(t, 'endpoint-heartbeat-response.json', beat.body);
  const status = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  assertSchema(t, 'endpoint-status.json', status);
  t.is(status.status, 'online');
  t.is(status.logs[0].total_workers, 16);
  t.is(status.logs[0].outstanding_tasks, 4);
});

serviceTest('heartbeat: extends the leases it lists; a stale token is lost; a cancelled task is named to stop', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [kept, cancelled, requeued, finished] = await submitOk(live, endpointId, functionId, [1, 2, 3, 4].map((x) => jsonPayload(x)));
  const leased = (await lease(live, endpointId, credential)).body.tasks;
  const token = (id: string) => leased.find((x: { task_id: string }) => x.task_id === id).lease_token;
  await live.call('POST', `/v3/tasks/${cancelled}/cancel`);
  await postResults(live, endpointId, credential, [{ task_id: finished, lease_token: token(finished), status: 'success', result: '8' }]);
  const before = await live.db('tasks').where({ id: kept }).first('lease_expires_at');
  await live.db('tasks').where({ id: kept }).update({ lease_expires_at: Number(before.lease_expires_at) - 30_000 });
  const { value: beat, window } = await onDatabaseClock(live.db, () => heartbeat(live, endpointId, credential, {
    total_workers: 4, idle_workers: 0, outstanding_tasks: 4,
    leases: [
      { task_id: kept, lease_token: token(kept) },
      { task_id: cancelled, lease_token: token(cancelled) },
      { task_id: requeued, lease_token: 'stale-token' },
      { task_id: finished, lease_token: token(finished) },
    ],
  }));
  assertSchema(t, 'endpoint-heartbeat-response.json', beat.body);
  t.deepEqual(beat.body, { lease_seconds: 60, extended: 1, cancel: [cancelled], lost: [requeued] });
  const after = await live.db('tasks').where({ id: kept }).first('lease_expires_at');
  assertExtendedBy(t, Number(after.lease_expires_at), window, 60_000); // the service's lease_timeout (lease_seconds above)
  // Leases not listed are not extended (a restarted endpoint cannot keep its dead process's leases alive).
  const unlisted = await live.db('tasks').where({ id: requeued }).first('lease_expires_at');
  t.true(Number(unlisted.lease_expires_at) <= Number(after.lease_expires_at));
});

serviceTest('heartbeat: a task the reaper gave up on is reported lost to the endpoint still holding it', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  await live.db('tasks').where({ id: taskId }).update({ lease_expires_at: 0 }); // expired long ago
  await live.service.maintenance.reapNow();
  t.like(await getTask(t, live, taskId), { status: 'failed', exception: { type: 'EndpointLost' } });
  const beat = await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: task.lease_token }] });
  t.deepEqual(beat.body, { lease_seconds: 60, extended: 0, cancel: [], lost: [taskId] });
  const late = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  t.like(late.body.results[0], { outcome: 'rejected', code: 'LeaseLost' });
}, { maxRetries: 0 });

serviceTest('heartbeat: an expired lease requeued and leased again is lost to the first holder', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [first] = (await lease(live, endpointId, credential)).body.tasks;
  await live.db('tasks').where({ id: taskId }).update({ lease_expires_at: 0 });
  await live.service.maintenance.reapNow();
  const [second] = (await lease(live, endpointId, credential)).body.tasks;
  t.like(second, { task_id: taskId, attempt: 2 });
  const beat = await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: first.lease_token }] });
  t.deepEqual([beat.body.lost, beat.body.extended], [[taskId], 0]);
  const again = await heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: second.lease_token }] });
  t.deepEqual([again.body.lost, again.body.extended], [[], 1]);
});

serviceTest('release hands leased tasks back to the queue without counting the attempt', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  const released = await live.call('POST', `/v3/endpoints/${endpointId}/release`, { token: credential, body: { leases: [{ task_id: taskId, lease_token: task.lease_token }] } });
  t.deepEqual([released.status, released.body], [200, { released: [taskId] }]);
  t.like(await getTask(t, live, taskId), { status: 'waiting-for-ep', attempts: 0, leased_at: null });
  const [again] = (await lease(live, endpointId, credential)).body.tasks;
  t.like(again, { task_id: taskId, attempt: 1 });
  const stale = await live.call('POST', `/v3/endpoints/${endpointId}/release`, { token: credential, body: { leases: [{ task_id: taskId, lease_token: task.lease_token }] } });
  t.deepEqual(stale.body, { released: [] }); // the old token releases nothing
  t.not(again.lease_token, task.lease_token);
});

serviceTest('heartbeat requests are checked', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const missing = await live.call('POST', `/v3/endpoints/${endpointId}/heartbeat`, { token: credential, body: { total_workers: 1 } });
  t.like(missing.body, { code: 'RequestMalformed', http_status_code: 400 });
  t.regex(missing.body.reason, /^invalid request: body is missing "idle_workers"; body is missing "outstanding_tasks"; body is missing "pending_tasks"$/);
  const negative = await heartbeat(live, endpointId, credential, { total_workers: -1 });
  t.like(negative.body, { code: 'RequestMalformed', reason: 'invalid request: body/total_workers must be >= 0', http_status_code: 400 });
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { status: 'offline', logs: [] });
});
