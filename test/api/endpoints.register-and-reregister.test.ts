/** Registering an endpoint, re-registering it (the agent restarting), rotating its credential. */
import { assertSchema, serviceTest } from '../helpers/service.js';
import { heartbeat, registerEndpoint } from './support.js';

const CREDENTIAL_INVALID = { code: 'EndpointCredentialInvalid', reason: 'the endpoint credential is unknown or was revoked', http_status_code: 401 };

serviceTest('register answers 201 with an id and a credential; v2 and v3 read the record', async (t, live) => {
  const created = await live.call('POST', '/v3/endpoints', {
    body: { name: 'laptop', display_name: 'My laptop', metadata: { hostname: 'here', version: '1.0' } },
  });
  t.is(created.status, 201);
  assertSchema(t, 'endpoint-register-response.json', created.body);
  t.is(created.body.name, 'laptop');
  t.regex(created.body.credential, /^fxe_/);
  const id = created.body.endpoint_id;
  for (const version of ['v2', 'v3']) {
    const read = await live.call('GET', `/${version}/endpoints/${id}`);
    t.is(read.status, 200);
    assertSchema(t, 'endpoint.json', read.body);
    t.like(read.body, {
      endpoint_id: id, name: 'laptop', display_name: 'My laptop', owner: 'admin', public: false, allowed_functions: [], allowed_groups: [],
      metadata: { hostname: 'here', version: '1.0' }, status: 'offline', last_heartbeat_at: null,
    });
  }
  const defaults = await live.call('POST', '/v3/endpoints', { body: { name: 'bare' } });
  t.like((await live.call('GET', `/v3/endpoints/${defaults.body.endpoint_id}`)).body, { name: 'bare', display_name: 'bare', metadata: {} });
});

serviceTest('re-registering the same id keeps the id and the credential, and updates what was sent', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live, { name: 'laptop', display_name: 'Old', metadata: { a: 1 } });
  const again = await live.call('PUT', `/v3/endpoints/${endpointId}`, { body: { name: 'laptop2', metadata: { a: 2 } } });
  t.is(again.status, 200);
  assertSchema(t, 'endpoint-register-response.json', again.body);
  t.deepEqual(again.body, { endpoint_id: endpointId, name: 'laptop2' }); // no new credential unless asked
  t.is((await heartbeat(live, endpointId, credential)).status, 200);
  const read = (await live.call('GET', `/v3/endpoints/${endpointId}`)).body;
  t.like(read, { endpoint_id: endpointId, name: 'laptop2', display_name: 'Old', metadata: { a: 2 } });
  t.is((await live.call('GET', '/v3/endpoints?role=owner')).body.endpoints.length, 1);
  // The id in the path is case-insensitive.
  t.deepEqual((await live.call('PUT', `/v3/endpoints/${endpointId.toUpperCase()}`, { body: { name: 'laptop2' } })).body, { endpoint_id: endpointId, name: 'laptop2' });
});

serviceTest('rotate_credential issues a new credential; the old one stops working at once', async (t, live) => {
  const { endpointId, credential: old } = await registerEndpoint(live, { name: 'laptop' });
  const rotated = await live.call('PUT', `/v3/endpoints/${endpointId}`, { body: { name: 'laptop', rotate_credential: true } });
  assertSchema(t, 'endpoint-register-response.json', rotated.body);
  t.is(rotated.body.endpoint_id, endpointId);
  t.regex(rotated.body.credential, /^fxe_/);
  t.not(rotated.body.credential, old);
  const refused = await heartbeat(live, endpointId, old);
  t.deepEqual([refused.status, refused.body], [401, CREDENTIAL_INVALID]);
  t.deepEqual((await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: old, body: { max_tasks: 1, wait_s: 0 } })).body, CREDENTIAL_INVALID);
  t.is((await heartbeat(live, endpointId, rotated.body.credential)).status, 200);
});

serviceTest('PUT with a new id registers the endpoint under that id, with a credential', async (t, live) => {
  const chosen = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';
  const created = await live.call('PUT', `/v3/endpoints/${chosen.toUpperCase()}`, { body: { name: 'chosen' } });
  t.is(created.status, 200);
  assertSchema(t, 'endpoint-register-response.json', created.body);
  t.is(created.body.endpoint_id, chosen);
  t.regex(created.body.credential, /^fxe_/);
  t.is((await heartbeat(live, chosen, created.body.credential)).status, 200);
});

serviceTest('someone else\'s endpoint cannot be re-registered: private is not found, public is forbidden', async (t, live) => {
  const bob = await live.tokenFor('bob');
  const { endpointId: hidden } = await registerEndpoint(live, { name: 'hidden' });
  const { endpointId: listed } = await registerEndpoint(live, { name: 'listed', public: true });
  const takeHidden = await live.call('PUT', `/v3/endpoints/${hidden}`, { token: bob, body: { name: 'mine', rotate_credential: true } });
  t.deepEqual([takeHidden.status, takeHidden.body], [404, { code: 'EndpointNotFound', reason: `endpoint ${hidden} not found`, http_status_code: 404 }]);
  const takeListed = await live.call('PUT', `/v3/endpoints/${listed}`, { token: bob, body: { name: 'mine', rotate_credential: true } });
  t.deepEqual([takeListed.status, takeListed.body], [403, { code: 'EndpointAccessForbidden', reason: `endpoint ${listed} belongs to someone else`, http_status_code: 403 }]);
  t.like((await live.call('GET', `/v3/endpoints/${listed}`)).body, { name: 'listed', owner: 'admin' });
});

serviceTest('a deleted endpoint cannot come back under its id', async (t, live) => {
  const { endpointId } = await registerEndpoint(live, { name: 'gone' });
  t.is((await live.call('DELETE', `/v3/endpoints/${endpointId}`)).status, 200);
  const again = await live.call('PUT', `/v3/endpoints/${endpointId}`, { body: { name: 'gone' } });
  t.deepEqual(again.body, { code: 'EndpointNotFound', reason: `endpoint ${endpointId} was deleted; register a new one`, http_status_code: 404 });
});

serviceTest('bad registrations are refused, naming the field', async (t, live) => {
  const badName = await live.call('POST', '/v3/endpoints', { body: { name: 'has spaces' } });
  t.like(badName.body, { code: 'RequestMalformed', reason: 'invalid request: body/name must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]*$"', http_status_code: 400 });
  const noName = await live.call('POST', '/v3/endpoints', { body: { display_name: 'x' } });
  t.like(noName.body, { code: 'RequestMalformed', reason: 'invalid request: body is missing "name"', http_status_code: 400 });
  const badFunction = await live.call('POST', '/v3/endpoints', { body: { name: 'x', allowed_functions: ['nope'] } });
  t.like(badFunction.body, { code: 'RequestMalformed', reason: 'invalid request: body/allowed_functions/0 must match format "uuid"', http_status_code: 400 });
  const badId = await live.call('PUT', '/v3/endpoints/laptop', { body: { name: 'x' } });
  t.deepEqual(badId.body, { code: 'InvalidUUID', reason: 'endpoint_id "laptop" is not a UUID', http_status_code: 400 });
  t.is(Number((await live.db('endpoints').count({ n: '*' }))[0].n), 0);
});
