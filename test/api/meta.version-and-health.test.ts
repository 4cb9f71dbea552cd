import test from 'ava';
import { assertSchema, serviceTest } from '../helpers/service.js';

serviceTest('version and health answer without a token', async (t, live) => {
  const version = await live.call('GET', '/v2/version', { token: '' });
  t.is(version.status, 200);
  assertSchema(t, 'version.json', version.body);
  const health = await live.call('GET', '/healthz', { token: '' });
  t.deepEqual([health.status, health.body.status], [200, 'ok']);
});

serviceTest('an unknown route is a RouteNotFound error body', async (t, live) => {
  const response = await live.call('GET', '/v3/nothing-here');
  t.is(response.status, 404);
  t.deepEqual(response.body, { code: 'RouteNotFound', reason: 'no route for GET /v3/nothing-here', http_status_code: 404 });
  assertSchema(t, 'error.json', response.body);
});

test('error codes are unique', async (t) => {
  const { ERROR_CODES } = await import('../../src/errors.js');
  t.is(new Set(ERROR_CODES).size, ERROR_CODES.length);
});
