/** The endpoint's lease long-poll: answered as soon as work exists, only with the endpoint's own credential. */
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, pollSubscribed, registerEndpoint, submitOk } from './support.js';

serviceTest('a lease waiting (wait_s 20) is answered by the next submit', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const polling = lease(live, endpointId, credential, 5, 20);
  // Submit once the poll waits on its wake-up, so the wake-up is what answers it.
  t.true(await pollSubscribed(live));
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(7)]);
  const leased = await polling;
  t.is(leased.status, 200);
  assertSchema(t, 'endpoint-lease-response.json', leased.body);
  t.deepEqual(leased.body.tasks.map((x: { task_id: string }) => x.task_id), [taskId]);
  t.truthy(leased.body.functions[functionId]);
}, { pollFallbackInterval: '1m' }); // the database re-check cannot answer it within the test

serviceTest('a waiting poll takes only its own endpoint\'s work', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const other = await registerEndpoint(live, { name: 'other' });
  const polling = lease(live, endpointId, credential, 5, 20);
  t.true(await pollSubscribed(live));
  await submitOk(live, other.endpointId, functionId, [jsonPayload(1)]);
  const [mine] = await submitOk(live, endpointId, functionId, [jsonPayload(2)]);
  const leased = (await polling).body;
  t.deepEqual(leased.tasks.map((x: { task_id: string }) => x.task_id), [mine]);
  t.is((await lease(live, other.endpointId, other.credential)).body.tasks.length, 1);
});

serviceTest('wait_s 0 answers at once, empty, when there is no work', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const empty = await lease(live, endpointId, credential, 10, 0);
  t.is(empty.status, 200);
  assertSchema(t, 'endpoint-lease-response.json', empty.body);
  // Offline after 60 s by default: a poll of 0 s keeps an endpoint online, so it stands for an idle agent's heartbeats.
  t.deepEqual(empty.body, { lease_seconds: 60, idle_heartbeat_s: 300, tasks: [], functions: {} });
});

serviceTest('max_tasks bounds a lease; each task is leased once', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [1, 2, 3].map((x) => jsonPayload(x)));
  const first = (await lease(live, endpointId, credential, 2)).body.tasks;
  const second = (await lease(live, endpointId, credential, 2)).body.tasks;
  const third = (await lease(live, endpointId, credential, 2)).body.tasks;
  t.deepEqual([first.length, second.length, third.length], [2, 1, 0]);
  t.deepEqual([...first, ...second].map((x: { task_id: string }) => x.task_id), ids);
  // One token per lease call: tasks leased together share it, another call gets another.
  t.is(first[0].lease_token, first[1].lease_token);
  t.not(second[0].lease_token, first[0].lease_token);
});

serviceTest('an endpoint credential cannot lease for another endpoint (403); a user token cannot lease (401)', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const other = await registerEndpoint(live, { name: 'other' });
  await submitOk(live, other.endpointId, functionId, [jsonPayload(1)]);
  const crossed = await lease(live, other.endpointId, credential);
  t.is(crossed.status, 403);
  t.deepEqual(crossed.body, { code: 'EndpointAccessForbidden', reason: 'an endpoint credential works only for its own endpoint', http_status_code: 403 });
  const asUser = await lease(live, endpointId, live.adminToken);
  t.is(asUser.status, 401);
  t.deepEqual(asUser.body, { code: 'EndpointCredentialInvalid', reason: 'this route takes an endpoint credential: Authorization: Bearer fxe_...', http_status_code: 401 });
  const anonymous = await lease(live, endpointId, undefined);
  t.deepEqual([anonymous.status, anonymous.body.code], [401, 'EndpointCredentialInvalid']);
  const forged = await lease(live, endpointId, 'fxe_not-a-real-credential');
  t.deepEqual(forged.body, { code: 'EndpointCredentialInvalid', reason: 'the endpoint credential is unknown or was revoked', http_status_code: 401 });
  // Nothing was leased by the refused calls.
  t.is((await lease(live, other.endpointId, other.credential)).body.tasks.length, 1);
  // And the endpoint credential is not a user token.
  const asEndpoint = await live.call('GET', '/v3/functions', { token: credential });
  t.deepEqual(asEndpoint.body, { code: 'UserUnauthenticated', reason: 'the API token is unknown, revoked or expired', http_status_code: 401 });
});

serviceTest('lease requests are checked', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const zero = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 0, wait_s: 61 } });
  t.like(zero.body, { code: 'RequestMalformed', reason: 'invalid request: body/max_tasks must be >= 1; body/wait_s must be <= 60', http_status_code: 400 });
  const missing = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: {} });
  t.like(missing.body, { code: 'RequestMalformed', reason: 'invalid request: body is missing "max_tasks"', http_status_code: 400 });
  const badId = await live.call('POST', '/v3/endpoints/ep-1/lease', { token: credential, body: { max_tasks: 1 } });
  t.deepEqual(badId.body, { code: 'InvalidUUID', reason: 'endpoint_id "ep-1" is not a UUID', http_status_code: 400 });
});

serviceTest('work submitted through another replica reaches a waiting poll by the database re-check', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  // A second service on the same database: its submits cannot wake this replica's polls.
  const replica = await startService({ ...live.config, port: 0, writeQuickstart: false }, { logger: createLogger('silent') });
  t.teardown(() => replica.close());
  const polling = lease(live, endpointId, credential, 5, 20);
  t.true(await pollSubscribed(live));
  const submitted = await fetch(`${replica.url}/v3/endpoints/${endpointId}/submit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${live.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tasks: { [functionId]: [jsonPayload(1)] } }),
  });
  t.is(submitted.status, 200);
  const [taskId] = ((await submitted.json()) as { tasks: Record<string, string[]> }).tasks[functionId];
  t.deepEqual((await polling).body.tasks.map((x: { task_id: string }) => x.task_id), [taskId]);
}); // pollFallbackInterval is 200ms in tests
