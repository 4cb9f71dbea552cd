/** Who may run tasks on an endpoint (owner, allowed_groups), and which functions it accepts (allowed_functions). */
import { randomUUID } from 'node:crypto';
import { assertSchema, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, registerEndpoint, registerFunction, submitTo } from './support.js';

serviceTest('allowed_groups: members submit tasks; public only lists it; others do not see it', async (t, live) => {
  const member = await live.tokenFor('bob', ['physics']);
  const stranger = await live.tokenFor('carol');
  const fn = await registerFunction(live, { public: true });
  const { endpointId: shared, credential } = await registerEndpoint(live, { name: 'shared', allowed_groups: ['physics'] });
  const { endpointId: listed } = await registerEndpoint(live, { name: 'listed', public: true });
  const accepted = await submitTo(live, shared, fn, [jsonPayload(1)], { token: member });
  t.is(accepted.status, 200);
  assertSchema(t, 'task-submit-response.json', accepted.body);
  const [taskId] = accepted.body.tasks[fn];
  t.is((await lease(live, shared, credential)).body.tasks[0].task_id, taskId);
  const hidden = await submitTo(live, shared, fn, [jsonPayload(1)], { token: stranger });
  t.deepEqual([hidden.status, hidden.body], [404, { code: 'EndpointNotFound', reason: `endpoint ${shared} not found`, http_status_code: 404 }]);
  const forbidden = await submitTo(live, listed, fn, [jsonPayload(1)], { token: member });
  t.deepEqual([forbidden.status, forbidden.body], [403, { code: 'EndpointAccessForbidden', reason: `you may not run tasks on endpoint ${listed}`, http_status_code: 403 }]);
  // The owner narrows the groups on re-registration: the member loses access.
  await live.call('PUT', `/v3/endpoints/${shared}`, { body: { name: 'shared', allowed_groups: ['chemistry'] } });
  t.is((await submitTo(live, shared, fn, [jsonPayload(1)], { token: member })).body.code, 'EndpointNotFound');
});

serviceTest('only the owner may delete an endpoint or change its allowed functions', async (t, live) => {
  const member = await live.tokenFor('bob', ['physics']);
  const { endpointId } = await registerEndpoint(live, { name: 'shared', allowed_groups: ['physics'] });
  const forbidden = { code: 'EndpointAccessForbidden', reason: `only the owner of endpoint ${endpointId} may do that`, http_status_code: 403 };
  t.deepEqual((await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { token: member, body: { functions: [] } })).body, forbidden);
  const del = await live.call('DELETE', `/v3/endpoints/${endpointId}`, { token: member });
  t.deepEqual([del.status, del.body], [403, forbidden]);
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}/allowed_functions`, { token: member })).body, { functions: [] });
});

serviceTest('allowed_functions: read, set, and enforced at submit (per endpoint and in mixed batches)', async (t, live) => {
  const allowed = await registerFunction(live);
  const other = await registerFunction(live);
  const { endpointId } = await registerEndpoint(live, { name: 'strict', allowed_functions: [allowed.toUpperCase()] });
  const read = await live.call('GET', `/v3/endpoints/${endpointId}/allowed_functions`);
  assertSchema(t, 'allowed-functions.json', read.body);
  t.deepEqual(read.body, { functions: [allowed] });
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}`)).body.allowed_functions, [allowed]);
  const notPermitted = { code: 'FunctionNotPermitted', reason: `endpoint ${endpointId} does not allow function ${other}`, http_status_code: 403 };
  const refused = await submitTo(live, endpointId, other, [jsonPayload(1)]);
  t.deepEqual([refused.status, refused.body], [403, notPermitted]);
  const mixed = await live.call('POST', '/v3/submit', {
    body: { tasks: [{ endpoint_id: endpointId, function_id: allowed, payload: jsonPayload(1) }, { endpoint_id: endpointId, function_id: other, payload: jsonPayload(2) }] },
  });
  t.deepEqual([mixed.status, mixed.body], [403, notPermitted]);
  t.is(Number((await live.db('tasks').count({ n: '*' }))[0].n), 0); // nothing of a refused batch is stored
  t.is((await submitTo(live, endpointId, allowed, [jsonPayload(1)])).status, 200);

  const set = await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: [other] } });
  assertSchema(t, 'allowed-functions.json', set.body);
  t.deepEqual(set.body, { functions: [other] });
  t.is((await submitTo(live, endpointId, other, [jsonPayload(1)])).status, 200);
  t.is((await submitTo(live, endpointId, allowed, [jsonPayload(1)])).body.code, 'FunctionNotPermitted');
  // Empty: every function the submitter may run.
  await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: [] } });
  t.is((await submitTo(live, endpointId, allowed, [jsonPayload(1)])).status, 200);
  const bad = await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: ['not-a-uuid'] } });
  t.like(bad.body, { code: 'RequestMalformed', reason: 'invalid request: body/functions/0 must match format "uuid"', http_status_code: 400 });
});

serviceTest('allowed_functions at the schema\'s limit (1,000): set, read back whole, and enforced at submit', async (t, live) => {
  const allowed = await registerFunction(live);
  const other = await registerFunction(live);
  const many = [allowed, ...Array.from({ length: 999 }, () => randomUUID())];
  const { endpointId } = await registerEndpoint(live, { name: 'wide' });
  const set = await live.call('PUT', `/v3/endpoints/${endpointId}/allowed_functions`, { body: { functions: many } });
  t.is(set.status, 200); // SQLite refused more than 500 rows in one insert before
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}/allowed_functions`)).body.functions.sort(), [...many].sort());
  t.is((await submitTo(live, endpointId, allowed, [jsonPayload(1)])).status, 200);
  t.is((await submitTo(live, endpointId, other, [jsonPayload(1)])).body.code, 'FunctionNotPermitted');
});
