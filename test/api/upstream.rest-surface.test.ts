/**
 * The REST surface the upstream SDKs (funcx 1.0, globus-compute-sdk 2.x) call,
 * with this test playing both the SDK (bodies as they send them) and the
 * endpoint agent. The real SDKs run in test/upstream/sdk-tutorial.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { assertSchema, serviceTest, type LiveService } from '../helpers/service.js';
import { NIL_UUID, lease, postResults, registerEndpoint, registerFunction, submitTo } from './support.js';

const GLOBUS_SDK = { 'user-agent': 'globus-sdk-py-3.65.0/globus-compute-sdk-2.34.0' };
// pack_buffers([args, kwargs]) with the JSON data strategy (11): args [3], kwargs {}.
const pack = (...buffers: string[]) => buffers.map((b) => `${b.length}\n${b}`).join('');
const PAYLOAD = pack('11\n[3]', '11\n{}');
const CODE = pack('04\ngASVAAAA'); // opaque to the service

async function upstreamFunction(live: LiveService, extra: Record<string, unknown> = {}): Promise<string> {
  const registered = await live.call('POST', '/v2/functions', {
    headers: GLOBUS_SDK,
    body: { function_name: 'triple', function_code: CODE, container_uuid: null, description: null, metadata: { python_version: '3.11.2', sdk_version: '2.34.0' }, public: false, group: null, ...extra },
  });
  if (registered.status !== 200) throw new Error(JSON.stringify(registered.body));
  return registered.body.function_uuid;
}

serviceTest('version answers the fields the upstream SDKs check (min_ep_version, min_sdk_version)', async (t, live) => {
  const version = await live.call('GET', '/v2/version?service=all');
  assertSchema(t, 'version.json', version.body);
  t.is(typeof version.body.min_ep_version, 'string');
  t.is(typeof version.body.min_sdk_version, 'string');
});

serviceTest('POST /v2/functions stores the packed code opaquely as a globus-compute python function', async (t, live) => {
  const functionId = await upstreamFunction(live, { group: 'friends' });
  const record = await live.call('GET', `/v2/functions/${functionId}`);
  assertSchema(t, 'function.json', record.body);
  t.like(record.body, { name: 'triple', runtime: 'python', source: CODE, code_serializer: 'globus-compute', group_ids: ['friends'] });
  // The endpoint is told how to load it.
  const { endpointId, credential } = await registerEndpoint(live);
  await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { create_queue: false, tasks: { [functionId]: [PAYLOAD] } } });
  const leased = await lease(live, endpointId, credential);
  t.like(leased.body.functions[functionId], { source: CODE, code_serializer: 'globus-compute' });
  t.is(leased.body.tasks[0].serializer, 'globus-compute');
  t.is(leased.body.tasks[0].payload, PAYLOAD);
  // Containers are refused, in the Globus SDK's error shape (it shows `message`).
  const container = await live.call('POST', '/v2/functions', { headers: GLOBUS_SDK, body: { function_name: 'f', function_code: CODE, container_uuid: randomUUID() } });
  t.deepEqual(container.body, {
    code: 'UpstreamOptionUnsupported', reason: 'containers are not supported: register the function without container_uuid',
    message: 'containers are not supported: register the function without container_uuid', http_status_code: 422, details: { field: 'container_uuid' },
  });
  assertSchema(t, 'error.json', container.body);
});

serviceTest('2.x submit: task_group_id honoured, the same call twice is two tasks, results in the SDK shape; native bodies unchanged', async (t, live) => {
  const functionId = await upstreamFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const group = randomUUID();
  const body = { create_queue: false, task_group_id: group, tasks: { [functionId]: [PAYLOAD, PAYLOAD] }, user_runtime: { globus_compute_sdk_version: '2.34.0', globus_sdk_version: '3.65.0', python_version: '3.11.2' } };
  const first = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { headers: GLOBUS_SDK, body });
  const second = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { headers: GLOBUS_SDK, body });
  assertSchema(t, 'task-submit-response.json', first.body);
  t.is(first.body.task_group_id, group);
  t.is(second.body.task_group_id, group);
  const ids = [...first.body.tasks[functionId], ...second.body.tasks[functionId]];
  t.is(new Set(ids).size, 4);

  const leased = (await lease(live, endpointId, credential)).body.tasks as { task_id: string; lease_token: string }[];
  const byId = new Map(leased.map((task) => [task.task_id, task]));
  const [ok, failed, cancelled, waiting] = ids;
  await postResults(live, endpointId, credential, [
    { task_id: ok, lease_token: byId.get(ok)!.lease_token, status: 'success', result: '11\n9', result_serializer: 'globus-compute' },
    { task_id: failed, lease_token: byId.get(failed)!.lease_token, status: 'failed', exception: { type: 'ValueError', message: 'no', traceback: 'Traceback (most recent call last):\nValueError: no\n' } },
  ]);
  await live.call('POST', `/v3/tasks/${cancelled}/cancel`);

  const okView = await live.call('GET', `/v2/tasks/${ok}`);
  assertSchema(t, 'upstream-task.json', okView.body);
  t.like(okView.body, { task_id: ok, status: 'success', pending: false, result: '11\n9' });
  t.is(okView.body.details, undefined);
  const batch = await live.call('POST', '/v2/batch_status', { body: { task_ids: ids } });
  for (const record of Object.values(batch.body.results)) assertSchema(t, 'upstream-task.json', record);
  t.like(batch.body.results[failed], { status: 'failed', pending: false, exception: 'Traceback (most recent call last):\nValueError: no\n' });
  // Cancelled is finished and failed: the SDKs wait on every other status.
  t.like(batch.body.results[cancelled], { status: 'failed', pending: false, exception: 'TaskCancelled: the task was cancelled by its submitter' });
  t.like(batch.body.results[waiting], { status: 'running', pending: true });

  // A native submit to the same route still answers and stores natively.
  const nativeFn = await registerFunction(live);
  const native = await submitTo(live, endpointId, nativeFn, [JSON.stringify({ args: [], kwargs: {} })]);
  t.is(native.status, 200);
  const nativeTask = await live.call('GET', `/v2/tasks/${native.body.tasks[nativeFn][0]}`);
  assertSchema(t, 'task.json', nativeTask.body);
});

serviceTest('2.x submit: user_endpoint_config and resource_specification are stored with the tasks, checked as native ones', async (t, live) => {
  const functionId = await upstreamFunction(live);
  const { endpointId } = await registerEndpoint(live);
  const submitted = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
    body: { create_queue: false, tasks: { [functionId]: [PAYLOAD] }, user_endpoint_config: { partition: 'debug' }, resource_specification: { num_nodes: 2, ranks_per_node: 4 } },
  });
  t.is(submitted.status, 200, JSON.stringify(submitted.body));
  const row = await live.db('tasks').where({ id: submitted.body.tasks[functionId][0] }).first();
  t.deepEqual(JSON.parse(row.user_endpoint_config), { partition: 'debug' });
  t.deepEqual(JSON.parse(row.resource_specification), { num_nodes: 2, ranks_per_node: 4 });
  // Empty ones (as some SDK versions send) are no request at all.
  const empty = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { create_queue: false, tasks: { [functionId]: [PAYLOAD] }, resource_specification: {}, user_endpoint_config: null } });
  t.is(empty.status, 200);
  const emptyRow = await live.db('tasks').where({ id: empty.body.tasks[functionId][0] }).first();
  t.is(emptyRow.resource_specification, null);
  // What the native API refuses, the upstream form refuses too.
  const inconsistent = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { create_queue: false, tasks: { [functionId]: [PAYLOAD] }, resource_specification: { num_nodes: 2, ranks_per_node: 2, num_ranks: 5 } } });
  t.is(inconsistent.body.code, 'ResourceSpecificationInvalid');
  const unknownKey = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { create_queue: false, tasks: { [functionId]: [PAYLOAD] }, resource_specification: { gpus: 1 } } });
  t.is(unknownKey.body.code, 'RequestMalformed');
  const unknownField = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { create_queue: false, tasks: { [functionId]: [PAYLOAD] }, surprise: 1 } });
  t.is(unknownField.body.code, 'RequestMalformed');
});

serviceTest('funcx 1.0 submit (/v2/submit): results[i].task_uuid in order, into the given task group', async (t, live) => {
  const functionId = await upstreamFunction(live);
  const { endpointId } = await registerEndpoint(live);
  const group = randomUUID();
  const submitted = await live.call('POST', '/v2/submit', { body: { task_group_id: group, create_websocket_queue: false, tasks: [[functionId, endpointId, PAYLOAD], [functionId, endpointId, PAYLOAD]] } });
  t.is(submitted.status, 200);
  assertSchema(t, 'upstream-submit-v2-response.json', submitted.body);
  t.is(submitted.body.task_group_id, group);
  t.is(submitted.body.results.length, 2);
  t.not(submitted.body.results[0].task_uuid, submitted.body.results[1].task_uuid);
  const groupView = await live.call('GET', `/v2/taskgroup/${group}`);
  t.deepEqual(groupView.body.tasks.map((task: { id: string }) => task.id), submitted.body.results.map((r: { task_uuid: string }) => r.task_uuid));
  const unknown = await live.call('POST', '/v2/submit', { headers: GLOBUS_SDK, body: { tasks: [[NIL_UUID, endpointId, PAYLOAD]] } });
  t.deepEqual(unknown.body, { code: 'FunctionNotFound', reason: `function ${NIL_UUID} not found`, message: `function ${NIL_UUID} not found`, http_status_code: 404 });
});

serviceTest('/v2/endpoints lists the caller\'s own endpoints; /v2/endpoints/{id}/lock cuts the agent off (owner only)', async (t, live) => {
  const mine = await registerEndpoint(live, { name: 'mine' });
  const bob = await live.tokenFor('bob');
  await registerEndpoint(live, { name: 'bobs' }, bob);
  const list = await live.call('GET', '/v2/endpoints');
  assertSchema(t, 'upstream-endpoint-list.json', list.body);
  t.deepEqual(list.body.map((ep: { name: string; uuid: string }) => [ep.name, ep.uuid]), [['mine', mine.endpointId]]);

  t.is((await live.call('POST', `/v2/endpoints/${mine.endpointId}/lock`, { token: bob, body: {} })).body.code, 'EndpointNotFound');
  const locked = await live.call('POST', `/v2/endpoints/${mine.endpointId}/lock`, { body: {} });
  assertSchema(t, 'upstream-endpoint-lock-response.json', locked.body);
  t.deepEqual(locked.body, { endpoint_id: mine.endpointId, locked: true, credential_revoked: true });
  t.is((await lease(live, mine.endpointId, mine.credential)).status, 401);
});

serviceTest('without AMQP, /v2/get_amqp_result_connection_url says so clearly', async (t, live) => {
  const answer = await live.call('GET', '/v2/get_amqp_result_connection_url', { headers: GLOBUS_SDK });
  const reason = 'this service delivers no results over AMQP (FUNCX_AMQP_URL is not set): use Client.get_result / get_batch_result, which poll';
  t.deepEqual(answer.body, { code: 'AmqpNotConfigured', reason, message: reason, http_status_code: 501 });
});
