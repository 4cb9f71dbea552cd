/** GET /v3/tasks (the caller's own, newest first, paged by cursor) and GET /v3/endpoints/{id}/tasks (its owner's view). */
import { assertSchema, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, registerEndpoint, registerFunction, submitOk } from './support.js';

serviceTest('my tasks: newest first, paged by next_cursor until null, summaries only', async (t, live) => {
  const fn = await registerFunction(live);
  const { endpointId } = await registerEndpoint(live);
  const older = await submitOk(live, endpointId, fn, [jsonPayload(1), jsonPayload(2)]);
  const newer = await submitOk(live, endpointId, fn, [jsonPayload(3)]);
  const bob = await live.tokenFor('bob');
  t.deepEqual((await live.call('GET', '/v3/tasks', { token: bob })).body, { tasks: [], next_cursor: null });
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const answer: { status: number; body: { tasks: { task_id: string }[]; next_cursor: string | null } } = await live.call('GET', `/v3/tasks?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    t.is(answer.status, 200, JSON.stringify(answer.body));
    assertSchema(t, 'task-list-response.json', answer.body);
    seen.push(...answer.body.tasks.map((task: { task_id: string }) => task.task_id));
    cursor = answer.body.next_cursor;
    if (!cursor) break;
  }
  t.deepEqual(seen, [...newer, ...older.reverse()]);
  const [first] = (await live.call('GET', `/v3/tasks?status=waiting-for-ep&endpoint_id=${endpointId}&function_id=${fn}&since=1h`)).body.tasks;
  t.like(first, { task_id: newer[0], status: 'waiting-for-ep', function_id: fn, endpoint_id: endpointId, attempts: 0, completed_at: null });
  t.false('payload' in first);
  t.false('result' in first);
  t.deepEqual((await live.call('GET', '/v3/tasks?status=success')).body, { tasks: [], next_cursor: null });
  t.deepEqual((await live.call('GET', '/v3/tasks?until=2000-01-01')).body, { tasks: [], next_cursor: null });
});

serviceTest('bad listing input: a cursor not issued for this listing, a since that does not parse, an unknown status', async (t, live) => {
  const fn = await registerFunction(live);
  const { endpointId } = await registerEndpoint(live);
  await submitOk(live, endpointId, fn, [jsonPayload(1), jsonPayload(2)]);
  const { next_cursor: cursor } = (await live.call('GET', '/v3/tasks?limit=1')).body;
  t.truthy(cursor);
  t.is((await live.call('GET', `/v3/tasks?limit=1&cursor=${cursor}`)).status, 200);
  const foreign = await live.call('GET', `/v3/tasks?limit=1&status=running&cursor=${cursor}`);
  t.deepEqual([foreign.status, foreign.body], [400, {
    code: 'InvalidCursor', reason: 'cursor is not one this listing issued (it belongs to another listing or filter); start again without a cursor', http_status_code: 400,
  }]);
  const bob = await live.tokenFor('bob');
  t.is((await live.call('GET', `/v3/tasks?limit=1&cursor=${cursor}`, { token: bob })).body.code, 'InvalidCursor');
  const forged = `v1.${Buffer.from(JSON.stringify({ t: 1, s: 1, q: 'x' })).toString('base64url')}`;
  t.is((await live.call('GET', `/v3/tasks?cursor=${forged}`)).body.code, 'InvalidCursor');
  const garbage = await live.call('GET', '/v3/tasks?cursor=hello');
  assertSchema(t, 'error.json', garbage.body);
  t.deepEqual(garbage.body, { code: 'InvalidCursor', reason: 'cursor is not one this listing issued (unknown format); start again without a cursor', http_status_code: 400 });
  const since = await live.call('GET', '/v3/tasks?since=yesterday');
  t.deepEqual([since.status, since.body], [400, {
    code: 'InvalidTimeBound', reason: 'since "yesterday" is neither an ISO 8601 time (2026-12-06T15:00:00Z) nor a duration back from now (30m, 1h, 7d)', http_status_code: 400,
  }]);
  t.is((await live.call('GET', '/v3/tasks?until=2026-13-45')).body.code, 'InvalidTimeBound');
  const status = await live.call('GET', '/v3/tasks?status=running,sleeping');
  t.deepEqual([status.status, status.body.code], [400, 'RequestMalformed']);
  t.deepEqual([(await live.call('GET', '/v3/tasks?limit=501')).status, (await live.call('GET', '/v3/tasks?limit=0')).status], [400, 400]);
});

serviceTest('an endpoint\'s owner sees its queued and running tasks from every user, with who submitted them, but no payloads; others may not look', async (t, live) => {
  const member = await live.tokenFor('bob', ['physics']);
  const fn = await registerFunction(live, { public: true });
  const { endpointId, credential } = await registerEndpoint(live, { name: 'shared', allowed_groups: ['physics'] });
  const [mine] = await submitOk(live, endpointId, fn, [jsonPayload(1)]);
  const [bobsRunning, bobsWaiting] = await submitOk(live, endpointId, fn, [jsonPayload(2), jsonPayload(3)], member);
  await live.call('POST', `/v3/tasks/${mine}/cancel`);
  const leased = (await lease(live, endpointId, credential, 1)).body.tasks;
  t.deepEqual(leased.map((x: { task_id: string }) => x.task_id), [bobsRunning]);
  const view = await live.call('GET', `/v3/endpoints/${endpointId}/tasks`);
  t.is(view.status, 200);
  assertSchema(t, 'task-list-response.json', view.body);
  t.deepEqual(view.body.tasks.map((x: { task_id: string; status: string; owner: string }) => [x.task_id, x.status, x.owner]), [
    [bobsWaiting, 'waiting-for-ep', 'bob'],
    [bobsRunning, 'running', 'bob'],
  ]);
  for (const task of view.body.tasks) t.deepEqual(Object.keys(task).filter((k) => ['payload', 'result', 'exception'].includes(k)), []);
  const all = await live.call('GET', `/v3/endpoints/${endpointId}/tasks?status=cancelled`);
  t.deepEqual(all.body.tasks.map((x: { task_id: string }) => x.task_id), [mine]);
  // bob may use the endpoint, but only its owner lists its tasks; a stranger does not even see it.
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}/tasks`, { token: member })).body,
    { code: 'EndpointAccessForbidden', reason: `only the owner of endpoint ${endpointId} may do that`, http_status_code: 403 });
  const stranger = await live.tokenFor('carol');
  t.is((await live.call('GET', `/v3/endpoints/${endpointId}/tasks`, { token: stranger })).body.code, 'EndpointNotFound');
  // bob's own listing shows his two, never alice's.
  t.deepEqual((await live.call('GET', '/v3/tasks', { token: member })).body.tasks.map((x: { task_id: string }) => x.task_id), [bobsWaiting, bobsRunning]);
});
