/** Bad input never reaches the database: every refusal is one error shape, naming the problem. */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/connect.js';
import { createApp } from '../../src/http/app.js';
import { Validator } from '../../src/http/validation.js';
import { createLogger } from '../../src/logger.js';
import { Wakeups } from '../../src/wakeups.js';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { NIL_UUID, registerEndpoint, taskCount } from './support.js';

serviceTest('a body that is not JSON is RequestMalformed; a body that is not declared JSON is UnsupportedMediaType', async (t, live) => {
  const notJson = await live.call('POST', '/v3/functions', { rawBody: '{"runtime":', headers: { 'content-type': 'application/json' } });
  t.is(notJson.status, 400);
  t.deepEqual([notJson.body.code, notJson.body.http_status_code], ['RequestMalformed', 400]);
  t.regex(notJson.body.reason, /^body is not valid JSON: /);
  assertSchema(t, 'error.json', notJson.body);
  const form = await live.call('POST', '/v3/functions', { rawBody: 'runtime=python', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.is(form.status, 415);
  t.deepEqual(form.body, { code: 'UnsupportedMediaType', reason: 'send the body as application/json', http_status_code: 415 });
  const text = await live.call('POST', '/v3/endpoints', { rawBody: '{"name":"x"}', headers: { 'content-type': 'text/plain' } });
  t.deepEqual(text.body, { code: 'UnsupportedMediaType', reason: 'send the body as application/json', http_status_code: 415 });
  // application/*+json and a charset are JSON.
  const vendor = await live.call('POST', '/v3/endpoints', { rawBody: '{"name":"x"}', headers: { 'content-type': 'application/vnd.funcx+json; charset=utf-8' } });
  t.is(vendor.status, 201);
  t.is(Number((await live.db('functions').count({ n: '*' }))[0].n), 0);
});

serviceTest('schema violations name every failing field, with details', async (t, live) => {
  const fields = await live.call('POST', '/v3/functions', { body: { runtime: 'ruby', source: 'x', colour: 'blue' } });
  t.is(fields.status, 400);
  assertSchema(t, 'error.json', fields.body);
  t.deepEqual(fields.body, {
    code: 'RequestMalformed',
    reason: 'invalid request: body has an unknown field "colour"; body/runtime must be equal to one of the allowed values',
    http_status_code: 400,
    details: [
      { location: 'body', path: '/', message: 'must NOT have additional properties', params: { additionalProperty: 'colour' } },
      { location: 'body', path: '/runtime', message: 'must be equal to one of the allowed values', params: { allowedValues: ['python', 'javascript', 'shell', 'mpi'] } },
    ],
  });
  const empty = await live.call('POST', '/v3/functions', { rawBody: '' });
  t.like(empty.body, { code: 'RequestMalformed', reason: 'invalid request: body is missing "runtime"; body is missing "source"', http_status_code: 400 });
  const array = await live.call('POST', '/v3/functions', { body: [1, 2] });
  t.like(array.body, { code: 'RequestMalformed', reason: 'invalid request: body must be object', http_status_code: 400 });
  const types = await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: 42, public: 'yes' } });
  t.like(types.body, { code: 'RequestMalformed', reason: 'invalid request: body/source must be string; body/public must be boolean', http_status_code: 400 });
  const many = await live.call('POST', '/v3/functions', { body: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 } });
  t.regex(many.body.reason, /; and \d+ more$/);
  t.is(Number((await live.db('functions').count({ n: '*' }))[0].n), 0);
});

serviceTest('submit bodies: function keys must be UUIDs, payloads strings, at least one task', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const submit = (body: unknown) => live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body });
  const badKey = await submit({ tasks: { 'not-a-uuid': ['x'] } });
  t.like(badKey.body, { code: 'RequestMalformed', reason: 'invalid request: body/tasks has a key "not-a-uuid" that must match format "uuid"', http_status_code: 400 });
  t.like((await submit({ tasks: {} })).body, { code: 'RequestMalformed', reason: 'invalid request: body/tasks must NOT have fewer than 1 properties' });
  t.like((await submit({ tasks: { [functionId]: [] } })).body, { code: 'RequestMalformed', reason: `invalid request: body/tasks/${functionId} must NOT have fewer than 1 items` });
  t.like((await submit({ tasks: { [functionId]: [{ args: [] }] } })).body, { code: 'RequestMalformed', reason: `invalid request: body/tasks/${functionId}/0 must be string` });
  t.like((await submit({ tasks: { [functionId]: [jsonPayload(1)] }, serializer: 'dill' })).body, { code: 'RequestMalformed', reason: 'invalid request: body/serializer must be equal to one of the allowed values' });
  t.like((await submit({ tasks: { [functionId]: [jsonPayload(1)] }, task_group_id: 'g1' })).body, { code: 'RequestMalformed', reason: 'invalid request: body/task_group_id must match format "uuid"' });
  const batch = await live.call('POST', '/v3/submit', { body: { tasks: [{ endpoint_id: endpointId, payload: 'x' }] } });
  t.like(batch.body, { code: 'RequestMalformed', reason: 'invalid request: body/tasks/0 is missing "function_id"' });
  t.is(await taskCount(live), 0);
});

serviceTest('ids: upper case works everywhere; a urn:uuid: prefix or a non-UUID is refused', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  // Two spellings of one id are one entry, answered as stored.
  const upper = await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: [functionId.toUpperCase(), functionId] } });
  t.deepEqual(upper.body, { functions: [functionId] });
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}/allowed_functions`)).body, upper.body);
  const submitted = await live.call('POST', `/v3/endpoints/${endpointId.toUpperCase()}/submit`, { body: { tasks: { [functionId.toUpperCase()]: [jsonPayload(1)] } } });
  t.is(submitted.status, 200, JSON.stringify(submitted.body));
  t.deepEqual(Object.keys(submitted.body.tasks), [functionId]);
  t.is(submitted.body.endpoint_id, endpointId);
  const urn = await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: [`urn:uuid:${functionId}`] } });
  t.like(urn.body, { code: 'RequestMalformed', reason: 'invalid request: body/functions/0 must match format "uuid"', http_status_code: 400 });
  for (const path of [`/v2/tasks/urn:uuid:${NIL_UUID}`, '/v2/tasks/not-a-uuid', `/v2/tasks/${NIL_UUID}x`]) {
    const response = await live.call('GET', path);
    t.is(response.status, 400);
    t.is(response.body.code, 'InvalidUUID');
    assertSchema(t, 'error.json', response.body);
  }
  t.deepEqual((await live.call('GET', '/v2/tasks/not-a-uuid')).body, { code: 'InvalidUUID', reason: 'task_id "not-a-uuid" is not a UUID', http_status_code: 400 });
  t.deepEqual((await live.call('POST', '/v3/endpoints/xyz/submit', { body: { tasks: { [functionId]: ['x'] } } })).body,
    { code: 'InvalidUUID', reason: 'endpoint_id "xyz" is not a UUID', http_status_code: 400 });
});

serviceTest('no token, a bad token, or an endpoint credential on a user route: UserUnauthenticated', async (t, live) => {
  const missing = { code: 'UserUnauthenticated', reason: 'send an API token: Authorization: Bearer <token>', http_status_code: 401 };
  const unknown = { code: 'UserUnauthenticated', reason: 'the API token is unknown, revoked or expired', http_status_code: 401 };
  const none = await live.call('GET', `/v2/tasks/${NIL_UUID}`, { token: '' });
  t.deepEqual([none.status, none.body], [401, missing]);
  assertSchema(t, 'error.json', none.body);
  t.deepEqual((await live.call('GET', '/v3/functions', { token: '', headers: { authorization: 'Basic YWRtaW46c2VjcmV0' } })).body, missing);
  t.deepEqual((await live.call('GET', '/v3/functions', { token: 'fxu_nope' })).body, unknown);
  const { credential } = await registerEndpoint(live);
  t.deepEqual((await live.call('POST', '/v3/functions', { token: credential, body: { runtime: 'shell', source: 'date' } })).body, unknown);
  // Checked before anything else: an unauthenticated caller learns nothing about ids.
  t.deepEqual((await live.call('GET', '/v3/functions/not-a-uuid', { token: '' })).body, missing);
  // "bearer" in any case is accepted.
  t.is((await live.call('GET', '/v3/functions', { token: '', headers: { authorization: `bearer ${live.adminToken}` } })).status, 200);
});

serviceTest('an unknown method is MethodNotAllowed; an unknown path is RouteNotFound', async (t, live) => {
  const patch = await live.call('PATCH', '/v3/functions', { body: {} });
  t.is(patch.status, 405);
  t.deepEqual(patch.body, { code: 'MethodNotAllowed', reason: 'PATCH is not allowed on /v3/functions', http_status_code: 405 });
  assertSchema(t, 'error.json', patch.body);
  t.deepEqual((await live.call('PROPFIND', '/v3/functions')).body, { code: 'MethodNotAllowed', reason: 'PROPFIND is not allowed on /v3/functions', http_status_code: 405 });
  t.deepEqual((await live.call('DELETE', '/v3/submit')).body, { code: 'MethodNotAllowed', reason: 'DELETE is not allowed on /v3/submit', http_status_code: 405 });
  t.deepEqual((await live.call('GET', `/v3/endpoints/${NIL_UUID}/lease`)).body,
    { code: 'MethodNotAllowed', reason: `GET is not allowed on /v3/endpoints/${NIL_UUID}/lease`, http_status_code: 405 });
  const nowhere = await live.call('POST', '/v4/functions', { body: {} });
  t.deepEqual([nowhere.status, nowhere.body], [404, { code: 'RouteNotFound', reason: 'no route for POST /v4/functions', http_status_code: 404 }]);
});

serviceTest('query strings are checked like bodies', async (t, live) => {
  const { endpointId } = await functionAndEndpoint(live);
  const repeated = await live.call('GET', '/v3/functions?q=a&q=b');
  t.like(repeated.body, { code: 'RequestMalformed', reason: 'query parameter "q" is given more than once', http_status_code: 400 });
  const group = await live.call('GET', `/v2/taskgroup/${NIL_UUID}?limit=0`);
  t.like(group.body, { code: 'RequestMalformed', reason: 'query parameter "limit" must be a whole number from 1 to 100000 (got "0")', http_status_code: 400 });
  const role = await live.call('GET', '/v3/endpoints?role=owner&extra=1');
  t.like(role.body, { code: 'RequestMalformed', reason: 'invalid request: query has an unknown field "extra"', http_status_code: 400 });
  t.truthy(endpointId);
});

test('a database that drops every connection: 503 DatabaseUnavailable with Retry-After, no internals shown', async (t) => {
  // A "MySQL server" that hangs up on everyone.
  const dropper = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => dropper.close(() => resolve())));
  const db = openDatabase(`mysql://funcx:secret@127.0.0.1:${(dropper.address() as AddressInfo).port}/funcx`, { poolMax: 2 });
  t.teardown(() => db.destroy());
  const config = loadConfig({}, { logLevel: 'silent' });
  const app = createApp({ config, db, logger: createLogger('silent'), wakeups: new Wakeups(), validator: new Validator(), shutdown: new AbortController().signal });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const health = await fetch(`${url}/healthz`);
  t.is(health.status, 503);
  t.is(health.headers.get('retry-after'), '5');
  const body = await health.json() as { code: string; reason: string; http_status_code: number };
  t.like(body, { code: 'DatabaseUnavailable', http_status_code: 503 });
  t.regex(body.reason, /^the database does not answer \(request [\w-]+\)$/);
  assertSchema(t, 'error.json', body);
  const user = await fetch(`${url}/v3/functions`, { headers: { authorization: 'Bearer fxu_anything' } });
  t.is(user.status, 503);
  const userBody = await user.json() as { code: string; reason: string };
  t.is(userBody.code, 'DatabaseUnavailable');
  t.false(JSON.stringify(userBody).includes('secret'));
});
