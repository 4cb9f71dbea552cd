/** Who may read and run a function: its owner, everyone if public, members of its groups; only the owner changes it. */
import { assertSchema, serviceTest } from '../helpers/service.js';
import { registerEndpoint, registerFunction, submitTo } from './support.js';

const PAYLOAD = '{"args":[],"kwargs":{}}';

serviceTest('a private function is not found for others, to read or to run on their own endpoint', async (t, live) => {
  const bob = await live.tokenFor('bob');
  const fn = await registerFunction(live);
  const { endpointId: bobsEndpoint } = await registerEndpoint(live, { name: 'bobs' }, bob);
  const notFound = { code: 'FunctionNotFound', reason: `function ${fn} not found`, http_status_code: 404 };
  t.deepEqual((await live.call('GET', `/v3/functions/${fn}`, { token: bob })).body, notFound);
  const run = await submitTo(live, bobsEndpoint, fn, [PAYLOAD], { token: bob });
  t.deepEqual([run.status, run.body], [404, notFound]);
  // Changing or deleting it does not reveal it either.
  t.deepEqual((await live.call('PUT', `/v3/functions/${fn}`, { token: bob, body: { public: true } })).body, notFound);
  t.deepEqual((await live.call('DELETE', `/v3/functions/${fn}`, { token: bob })).body, notFound);
});

serviceTest('a public function: anyone reads and runs it, only its owner changes or deletes it', async (t, live) => {
  const bob = await live.tokenFor('bob');
  const fn = await registerFunction(live, { public: true });
  const { endpointId: bobsEndpoint } = await registerEndpoint(live, { name: 'bobs' }, bob);
  const read = await live.call('GET', `/v2/functions/${fn}`, { token: bob });
  assertSchema(t, 'function.json', read.body);
  t.like(read.body, { function_uuid: fn, owner: 'admin', public: true });
  const run = await submitTo(live, bobsEndpoint, fn, [PAYLOAD], { token: bob });
  t.is(run.status, 200);
  assertSchema(t, 'task-submit-response.json', run.body);
  const forbidden = { code: 'FunctionAccessForbidden', reason: `only the owner of function ${fn} may change it`, http_status_code: 403 };
  t.deepEqual((await live.call('PUT', `/v3/functions/${fn}`, { token: bob, body: { description: 'mine now' } })).body, forbidden);
  const del = await live.call('DELETE', `/v3/functions/${fn}`, { token: bob });
  t.deepEqual([del.status, del.body], [403, forbidden]);
  // Made private again: bob loses it.
  await live.call('PUT', `/v3/functions/${fn}`, { body: { public: false } });
  t.is((await submitTo(live, bobsEndpoint, fn, [PAYLOAD], { token: bob })).body.code, 'FunctionNotFound');
});

serviceTest('group_ids share a function with members of any of those groups, until the owner takes it back', async (t, live) => {
  const physicist = await live.tokenFor('bob', ['physics']);
  const chemist = await live.tokenFor('carol', ['chemistry']);
  const both = await live.tokenFor('dave', ['chemistry', 'physics']);
  const fn = await registerFunction(live, { group_ids: ['physics', 'biology'] });
  const { endpointId: bobsEndpoint } = await registerEndpoint(live, { name: 'bobs' }, physicist);
  const { endpointId: carolsEndpoint } = await registerEndpoint(live, { name: 'carols' }, chemist);
  const { endpointId: davesEndpoint } = await registerEndpoint(live, { name: 'daves' }, both);
  t.deepEqual((await live.call('GET', `/v3/functions/${fn}`, { token: physicist })).body.group_ids.sort(), ['biology', 'physics']);
  t.is((await submitTo(live, bobsEndpoint, fn, [PAYLOAD], { token: physicist })).status, 200);
  t.is((await submitTo(live, davesEndpoint, fn, [PAYLOAD], { token: both })).status, 200);
  t.is((await live.call('GET', `/v3/functions/${fn}`, { token: chemist })).body.code, 'FunctionNotFound');
  t.is((await submitTo(live, carolsEndpoint, fn, [PAYLOAD], { token: chemist })).body.code, 'FunctionNotFound');
  // A group member may run it, not change it.
  t.is((await live.call('PUT', `/v3/functions/${fn}`, { token: physicist, body: { group_ids: [] } })).body.code, 'FunctionAccessForbidden');
  await live.call('PUT', `/v3/functions/${fn}`, { body: { group_ids: ['chemistry'] } });
  t.is((await submitTo(live, bobsEndpoint, fn, [PAYLOAD], { token: physicist })).body.code, 'FunctionNotFound');
  t.is((await submitTo(live, carolsEndpoint, fn, [PAYLOAD], { token: chemist })).status, 200);
});
