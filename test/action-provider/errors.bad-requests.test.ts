/**
 * Bad requests get the spec's error shape {code, description}: 400 when the
 * body is not JSON, 422 naming the field when it fails the schema; the base
 * path is configurable, and bad provider settings stop the service at start.
 */
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { serviceTest } from '../helpers/service.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs } from './support.js';
import test from 'ava';

serviceTest('a body that is not JSON is 400; one that fails the schema is 422 naming the field', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const fn = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const post = (body: unknown) => ap(t, live, 'status', 'POST', '/run', { token: alice.token, body });

  const notJson = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, rawBody: '{"request_id": ', headers: { 'content-type': 'application/json' } });
  t.is(notJson.status, 400);
  t.is(notJson.body.code, 'BadActionRequest');
  t.regex(notJson.body.description, /not valid JSON/);
  const empty = await ap(t, live, 'status', 'POST', '/actions', { token: alice.token });
  t.deepEqual([empty.status, empty.body.code], [400, 'BadActionRequest']);

  const cases: [unknown, RegExp][] = [
    [[1, 2], /must be a JSON object/],
    [{ body: {} }, /^Field 'request_id' is required$/],
    [{ request_id: 'x' }, /^Field 'body' is required$/],
    [{ request_id: 'x', body: [] }, /^Field 'body' must be object$/],
    [{ request_id: 'x', body: {}, label: 'l'.repeat(65) }, /^Field 'label' must NOT have more than 64 characters$/],
    [{ request_id: 'x', body: {}, monitor_by: ['bob'] }, /^Field 'monitor_by\[0\]' must match pattern/],
    [{ request_id: 'x', body: { endpoint_id: endpointId, tasks: [{ function_id: 'nope' }] } }, /^Field 'body.tasks\[0\].function_id' must match format "uuid"$/],
    [{ request_id: 'x', body: { endpoint_id: endpointId, tasks: [] } }, /^Field 'body.tasks' must NOT have fewer than 1 items$/],
    [{ request_id: 'x', body: { endpoint_id: endpointId, tasks: [{ function_id: fn, args: 'x' }] } }, /^Field 'body.tasks\[0\].args' must be array$/],
    [{ request_id: 'x', body: { endpoint_id: endpointId, tasks: [{ function_id: fn, payload: {} }] } }, /^Field 'body.tasks\[0\].payload' is not allowed$/],
    [{ request_id: 'x', body: { endpoint_id: endpointId, tasks: [{ function_id: fn }], resource_specification: { num_nodes: 2 } } }, /^Field 'body.resource_specification' is not allowed$/],
    [{ request_id: 'x', body: { endpoint: endpointId, function: fn, kwargs: '[1]' } }, /^Field 'body.kwargs' must be an object/],
    [{ request_id: 'x', body: { tasks: [{ endpoint: endpointId, function: fn, kwargs: {}, payload: {} }] } }, /^Field 'body.tasks\[0\].payload' is the older name of kwargs/],
    [{ request_id: 'x', body: { tasks: [{ function: fn }] } }, /^Field 'body.tasks\[0\].endpoint' is required$/],
    [{ request_id: 'x', body: {} }, /Field 'body.function' is required/],
  ];
  for (const [body, description] of cases) {
    const response = await post(body);
    t.is(response.status, 422, JSON.stringify(body));
    t.is(response.body.code, 'RequestValidationError');
    t.regex(response.body.description, description, JSON.stringify(body));
  }
  t.is((await live.db('tasks')).length, 0);

  const wrongType = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, rawBody: 'request_id=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.deepEqual([wrongType.status, wrongType.body.code], [415, 'UnsupportedMediaType']);
  const unknownAction = await ap(t, live, 'status', 'GET', '/actions/not-an-id', { token: alice.token });
  t.deepEqual(unknownAction.body, { code: 'ActionNotFound', description: 'action not-an-id not found' });
  const wrongMethod = await ap(t, live, 'status', 'PUT', '/run', { token: alice.token });
  t.deepEqual([wrongMethod.status, wrongMethod.body.code], [405, 'MethodNotAllowed']);
  const noRoute = await ap(t, live, 'status', 'GET', '/a/b/c', { token: alice.token });
  t.deepEqual([noRoute.status, noRoute.body.code], [404, 'NotFound']);
  // Outside the base path the service's own error shape is unchanged.
  const rest = await live.call('GET', '/v3/tasks/not-an-id', { token: alice.token });
  t.is(rest.body.code, 'InvalidUUID');
  t.truthy(rest.body.reason);
});

serviceTest('the base path is configurable', async (t, live) => {
  const alice = await newCaller(live);
  const described = await ap(t, live, 'introspection', 'GET', '/', { token: '', base: '/flows/compute' });
  t.is(described.status, 200);
  const listed = await ap(t, live, 'enumeration', 'GET', '/actions', { token: alice.token, base: '/flows/compute' });
  t.deepEqual(listed.body, []);
  // The default path is now the service's ordinary 404.
  const old = await live.call('GET', '/actions/', { token: '' });
  t.is(old.status, 404);
  t.is(old.body.code, 'RouteNotFound');
}, { actionProviderBasePath: '/flows/compute/' });

test('bad Action Provider settings stop the service at start, each named', (t) => {
  const error = t.throws(() => loadConfig({
    FUNCX_ACTION_PROVIDER_BASE_PATH: '/',
    FUNCX_ACTION_PROVIDER_RUNNABLE_BY: 'all_authenticated_users, bob',
    FUNCX_ACTION_PROVIDER_VISIBLE_TO: 'everyone',
    FUNCX_ACTION_PROVIDER_SCOPE: 'not a uri',
    FUNCX_ACTION_PROVIDER_MAXIMUM_DEADLINE: 'soon',
  }), { instanceOf: ConfigError }) as ConfigError;
  t.is(error.problems.length, 5, error.message);
  t.regex(error.message, /FUNCX_ACTION_PROVIDER_BASE_PATH="\/": expected a path below/);
  t.regex(error.message, /FUNCX_ACTION_PROVIDER_RUNNABLE_BY: "bob" is not all_authenticated_users or urn:globus:auth:identity:<id>/);
  t.regex(error.message, /FUNCX_ACTION_PROVIDER_VISIBLE_TO: "everyone"/);
  t.regex(error.message, /FUNCX_ACTION_PROVIDER_SCOPE="not a uri": expected a URI/);
  t.regex(error.message, /FUNCX_ACTION_PROVIDER_MAXIMUM_DEADLINE="soon"/);
  const config = loadConfig({ FUNCX_ACTION_PROVIDER_VISIBLE_TO: 'public,urn:globus:groups:id:team' });
  t.is(config.actionProviderVisibleTo, 'public,urn:globus:groups:id:team');
  t.is(config.actionProviderBasePath, '/actions/');
});
