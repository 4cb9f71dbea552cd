/**
 * The /v3 routes globus-compute-sdk 3.x/4.x call, sent the request bodies its
 * code builds (test/upstream/fixtures/globus-compute-sdk-4.15, written by hand
 * from its source; the SDK needs pydantic 2 and cannot run here), answered in
 * the shapes it reads.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { assertSchema, serviceTest, type LiveService } from '../helpers/service.js';
import { lease } from './support.js';

const FIXTURES = path.join(packageRoot(), 'test', 'upstream', 'fixtures', 'globus-compute-sdk-4.15');
const GLOBUS_SDK = { 'user-agent': 'globus-sdk-py-3.65.0/globus-compute-sdk-4.15.0' };

function fixture(name: string, ids: Record<string, string> = {}): Record<string, unknown> {
  let text = readFileSync(path.join(FIXTURES, name), 'utf8');
  for (const [placeholder, id] of Object.entries(ids)) text = text.replaceAll(placeholder, id);
  return JSON.parse(text);
}

async function registered(live: LiveService): Promise<string> {
  const answer = await live.call('POST', '/v3/functions', { headers: GLOBUS_SDK, body: fixture('register_function.json') });
  if (answer.status !== 201) throw new Error(JSON.stringify(answer.body));
  return answer.body.function_uuid;
}

serviceTest('POST /v3/functions in 4.x\'s form (function_code, meta) stores the packed code as a globus-compute function; meta becomes its metadata', async (t, live) => {
  const body = fixture('register_function.json');
  const answer = await live.call('POST', '/v3/functions', { headers: GLOBUS_SDK, body });
  t.is(answer.status, 201);
  assertSchema(t, 'function-register-response.json', answer.body);
  t.false('ha_warning' in answer.body); // Client._raise_ha_warning reads it: no warning
  const record = await live.call('GET', `/v2/functions/${answer.body.function_uuid}`);
  t.like(record.body, { name: 'hello_world', runtime: 'python', source: body.function_code, code_serializer: 'globus-compute', description: 'Says hello.', metadata: body.meta });

  const ha = await live.call('POST', '/v3/functions', { headers: GLOBUS_SDK, body: { ...body, ha_endpoint_id: randomUUID() } });
  t.is(ha.status, 422);
  t.like(ha.body, { code: 'UpstreamOptionUnsupported', details: { field: 'ha_endpoint_id' } });
  const unknown = await live.call('POST', '/v3/functions', { headers: GLOBUS_SDK, body: { ...body, meta: { python_version: '3.13', flavour: 'x' } } });
  t.is(unknown.status, 400);
});

serviceTest('PUT /v3/endpoints/{id} with 4.x\'s registration fields registers the endpoint under that id; Globus-only options are refused when set', async (t, live) => {
  const endpointId = randomUUID();
  const body = fixture('register_endpoint.json');
  const first = await live.call('PUT', `/v3/endpoints/${endpointId}`, { headers: GLOBUS_SDK, body });
  t.is(first.status, 200, JSON.stringify(first.body));
  assertSchema(t, 'endpoint-register-response.json', first.body);
  t.like(first.body, { endpoint_id: endpointId, name: 'my-endpoint' });
  t.is(typeof first.body.credential, 'string');
  const shown = await live.call('GET', `/v3/endpoints/${endpointId}`);
  t.like(shown.body, { name: 'my-endpoint', public: false });

  // Again (the endpoint restarting): the same id, allowed_functions and display_name now set.
  const fn = await registered(live);
  const again = await live.call('PUT', `/v3/endpoints/${endpointId}`, { headers: GLOBUS_SDK, body: { ...body, display_name: 'My endpoint', allowed_functions: [fn] } });
  t.is(again.status, 200, JSON.stringify(again.body));
  t.deepEqual((await live.call('GET', `/v3/endpoints/${endpointId}/allowed_functions`)).body.functions, [fn]);

  for (const [field, value] of [['authentication_policy', randomUUID()], ['subscription_uuid', randomUUID()], ['high_assurance', true], ['admins', [randomUUID()]]] as const) {
    const refused = await live.call('PUT', `/v3/endpoints/${endpointId}`, { headers: GLOBUS_SDK, body: { ...body, [field]: value } });
    t.is(refused.status, 422, field);
    t.like(refused.body, { code: 'UpstreamOptionUnsupported', details: { field } });
  }
  // A first registration without an id (POST) takes the same form.
  const posted = await live.call('POST', '/v3/endpoints', { headers: GLOBUS_SDK, body: { ...body, endpoint_name: 'other' } });
  t.is(posted.status, 201);
  t.like(posted.body, { name: 'other' });
});

serviceTest('POST /v3/endpoints/{id}/lock (4.x stop_endpoint) revokes the endpoint\'s credential; GET .../allowed_functions answers the list', async (t, live) => {
  const endpointId = randomUUID();
  const { credential } = (await live.call('PUT', `/v3/endpoints/${endpointId}`, { headers: GLOBUS_SDK, body: fixture('register_endpoint.json') })).body;
  t.is((await lease(live, endpointId, credential, 1)).status, 200);
  const locked = await live.call('POST', `/v3/endpoints/${endpointId}/lock`, { headers: GLOBUS_SDK });
  t.is(locked.status, 200);
  assertSchema(t, 'upstream-endpoint-lock-response.json', locked.body);
  t.like(locked.body, { endpoint_id: endpointId, locked: true, credential_revoked: true });
  t.is((await lease(live, endpointId, credential, 1)).status, 401);
  const bob = await live.tokenFor('bob');
  t.is((await live.call('POST', `/v3/endpoints/${endpointId}/lock`, { token: bob })).status, 404);

  const allowed = await live.call('GET', `/v3/endpoints/${endpointId}/allowed_functions`, { headers: GLOBUS_SDK });
  assertSchema(t, 'allowed-functions.json', allowed.body);
  t.deepEqual(allowed.body, { functions: [] });
});

serviceTest('a 4.x batch (create_queue, user_runtime, result_serializers) is accepted and its tasks carry the user_runtime to the endpoint', async (t, live) => {
  const functionId = await registered(live);
  const endpointId = randomUUID();
  const { credential } = (await live.call('PUT', `/v3/endpoints/${endpointId}`, { headers: GLOBUS_SDK, body: fixture('register_endpoint.json') })).body;
  const body = fixture('submit.json', { '<FUNCTION_ID>': functionId });
  const submitted = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { headers: GLOBUS_SDK, body });
  t.is(submitted.status, 200, JSON.stringify(submitted.body));
  assertSchema(t, 'task-submit-response.json', submitted.body);
  t.like(submitted.body, { endpoint_id: endpointId }); // batch_run returns this dict as is
  const [taskId] = submitted.body.tasks[functionId];
  const leased = await lease(live, endpointId, credential, 10);
  const task = leased.body.tasks.find((candidate: { task_id: string }) => candidate.task_id === taskId);
  t.like(task, { serializer: 'globus-compute', user_runtime: body.user_runtime as object });
});
