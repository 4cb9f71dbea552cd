import { serviceTest } from '../helpers/service.js';

serviceTest('malformed requests get a clear error naming the problem', async (t, live) => {
  const notJson = await live.call('POST', '/v3/functions', { rawBody: '{"runtime":', headers: { 'content-type': 'application/json' } });
  t.is(notJson.status, 400);
  t.is(notJson.body.code, 'RequestMalformed');
  t.regex(notJson.body.reason, /^body is not valid JSON/);
  const wrongType = await live.call('POST', '/v3/functions', { rawBody: 'runtime=python', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.deepEqual(wrongType.body, { code: 'UnsupportedMediaType', reason: 'send the body as application/json', http_status_code: 415 });
  const fields = await live.call('POST', '/v3/functions', { body: { runtime: 'ruby', source: 'x', colour: 'blue' } });
  t.is(fields.body.code, 'RequestMalformed');
  t.is(fields.body.reason, 'invalid request: body has an unknown field "colour"; body/runtime must be equal to one of the allowed values');
  t.deepEqual(fields.body.details.map((d: { path: string }) => d.path), ['/', '/runtime']);
  t.deepEqual((await live.call('GET', '/v2/tasks/not-a-uuid')).body, { code: 'InvalidUUID', reason: 'task_id "not-a-uuid" is not a UUID', http_status_code: 400 });
  t.deepEqual((await live.call('GET', '/v2/tasks/00000000-0000-4000-8000-000000000000', { token: '' })).body,
    { code: 'UserUnauthenticated', reason: 'send an API token: Authorization: Bearer <token>', http_status_code: 401 });
  t.is((await live.call('GET', '/v2/tasks/00000000-0000-4000-8000-000000000000', { token: 'fxu_nope' })).body.reason, 'the API token is unknown or revoked');
  t.deepEqual((await live.call('PATCH', '/v3/functions')).body, { code: 'MethodNotAllowed', reason: 'PATCH is not allowed on /v3/functions', http_status_code: 405 });
  const badSubmit = await live.call('POST', '/v3/endpoints/00000000-0000-4000-8000-000000000000/submit', { body: { tasks: { 'not-a-uuid': ['x'] } } });
  t.is(badSubmit.body.code, 'RequestMalformed');
  const noEndpoint = await live.call('POST', '/v3/endpoints/00000000-0000-4000-8000-000000000000/submit', { body: { tasks: { '00000000-0000-4000-8000-000000000001': ['x'] } } });
  t.deepEqual(noEndpoint.body, { code: 'EndpointNotFound', reason: 'endpoint 00000000-0000-4000-8000-000000000000 not found', http_status_code: 404 });
});
