/** A submit retried after a lost answer creates its tasks once by its Idempotency-Key; without one, nothing is deduplicated. */
import { randomUUID } from 'node:crypto';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, submitTo, taskCount } from './support.js';

serviceTest('Idempotency-Key: a replay answers the first response again and stores nothing new', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const headers = { 'idempotency-key': 'retry-1' };
  const first = await submitTo(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)], { headers });
  t.is(first.status, 200);
  t.is(first.headers.get('idempotent-replayed'), null);
  const replay = await submitTo(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)], { headers });
  t.is(replay.status, 200);
  assertSchema(t, 'task-submit-response.json', replay.body);
  t.deepEqual(replay.body, first.body); // same request_id, same task ids
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  t.is(await taskCount(live), 2);
  // A replay does not queue the tasks twice for the endpoint either.
  t.is((await lease(live, endpointId, credential)).body.tasks.length, 2);
});

serviceTest('Idempotency-Key reused for a different request is refused whole', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const headers = { 'idempotency-key': 'k1' };
  await submitTo(live, endpointId, functionId, [jsonPayload(1)], { headers });
  const conflict = await submitTo(live, endpointId, functionId, [jsonPayload(2)], { headers });
  t.is(conflict.status, 409);
  t.deepEqual(conflict.body, { code: 'IdempotencyKeyReused', reason: 'this Idempotency-Key was already used for a different request', http_status_code: 409 });
  assertSchema(t, 'error.json', conflict.body);
  // The same body on the mixed-batch route is a different request too.
  const batch = await live.call('POST', '/v3/submit', { headers, body: { tasks: [{ endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(1) }] } });
  t.is(batch.body.code, 'IdempotencyKeyReused');
  t.is(await taskCount(live), 1);
  const tooLong = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { headers: { 'idempotency-key': 'x'.repeat(256) } });
  t.deepEqual(tooLong.body, { code: 'RequestMalformed', reason: 'Idempotency-Key is longer than 255 characters', http_status_code: 400 });
});

serviceTest('Idempotency-Key is per user: the same key from two users is two requests', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live, { publicFunction: true });
  const bob = await live.tokenFor('bob', ['friends']);
  await live.call('PUT', `/v3/endpoints/${endpointId}`, { body: { name: 'test-endpoint', allowed_groups: ['friends'] } });
  const headers = { 'idempotency-key': 'shared-key' };
  const mine = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { headers });
  const bobs = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { headers, token: bob });
  t.is(bobs.status, 200, JSON.stringify(bobs.body));
  t.notDeepEqual(bobs.body.tasks, mine.body.tasks);
  t.is(bobs.headers.get('idempotent-replayed'), null);
  t.is(await taskCount(live), 2);
});

serviceTest('task_group_id is not a dedupe key: the same call twice into one group runs twice (as the upstream SDKs submit)', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const groupId = randomUUID();
  const extra = { task_group_id: groupId };
  const g1 = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra });
  const g2 = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra });
  t.is(g2.status, 200);
  t.is(g2.headers.get('idempotent-replayed'), null);
  t.notDeepEqual(g2.body.tasks, g1.body.tasks);
  t.not(g2.body.request_id, g1.body.request_id);
  t.is(g2.body.task_group_id, groupId);
  const group = await live.call('GET', `/v2/taskgroup/${groupId}`);
  t.is(group.body.total, 2);
  // Nor without a group: the same body twice is two submissions.
  await submitTo(live, endpointId, functionId, [jsonPayload(9)]);
  await submitTo(live, endpointId, functionId, [jsonPayload(9)]);
  t.is(await taskCount(live), 4);
  // With a key, the same request into the group is a replay again.
  const headers = { 'idempotency-key': 'in-group' };
  const k1 = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra, headers });
  const k2 = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra, headers });
  t.deepEqual(k2.body, k1.body);
  t.is(k2.headers.get('idempotent-replayed'), 'true');
  t.is(await taskCount(live), 5);
});

serviceTest('mixed batches are idempotent on Idempotency-Key too', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const body = { tasks: [{ endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(1) }] };
  const headers = { 'idempotency-key': 'batch-1' };
  const first = await live.call('POST', '/v3/submit', { headers, body });
  const replay = await live.call('POST', '/v3/submit', { headers, body });
  assertSchema(t, 'batch-submit-response.json', replay.body);
  t.deepEqual(replay.body, first.body);
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  t.is(await taskCount(live), 1);
});
