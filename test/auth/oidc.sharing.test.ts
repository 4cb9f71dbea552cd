/**
 * Authorization with identities and groups from a real OpenID provider: user B
 * gets nothing of A's unless shared; group members get what their group was
 * given, and lose it when the provider drops them from the group.
 */
import { randomUUID } from 'node:crypto';
import { jsonPayload } from '../helpers/service.js';
import { oidcServiceTest } from '../helpers/oidcService.js';
import { heartbeat, lease, postResults, registerEndpoint, registerFunction, submitOk, submitTo } from '../api/support.js';

oidcServiceTest('user B cannot run on A\'s endpoint, read A\'s task or result, use A\'s private function, or poll as A\'s endpoint', async (t, live, provider) => {
  const alice = await provider.token('alice');
  const bob = await provider.token('bob', { format: 'jwt' });
  const fn = await registerFunction(live, {}, alice);
  const { endpointId, credential } = await registerEndpoint(live, { name: 'alices' }, alice);
  const [taskId] = await submitOk(live, endpointId, fn, [jsonPayload(1)], alice);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  t.like((await live.call('GET', `/v2/tasks/${taskId}`, { token: alice })).body, { status: 'success', result: '2' });

  const { endpointId: bobsEndpoint, credential: bobsCredential } = await registerEndpoint(live, { name: 'bobs' }, bob);
  const bobsFn = await registerFunction(live, { public: true }, bob);
  // A's private endpoint does not exist for B, whatever the function.
  t.deepEqual((await submitTo(live, endpointId, bobsFn, [jsonPayload(1)], { token: bob })).body,
    { code: 'EndpointNotFound', reason: `endpoint ${endpointId} not found`, http_status_code: 404 });
  // A's task and its result: not found for B, by id, in a batch, in its task group, and to wait on.
  t.deepEqual((await live.call('GET', `/v2/tasks/${taskId}`, { token: bob })).body,
    { code: 'TaskNotFound', reason: `task ${taskId} not found`, http_status_code: 404 });
  t.deepEqual((await live.call('POST', '/v2/batch_status', { token: bob, body: { task_ids: [taskId] } })).body, { results: {}, not_found: [taskId] });
  const group = (await live.call('GET', `/v2/tasks/${taskId}`, { token: alice })).body.task_group_id;
  t.is((await live.call('GET', `/v2/taskgroup/${group}`, { token: bob })).body.code, 'TaskGroupNotFound');
  t.is((await live.call('POST', `/v3/tasks/${taskId}/cancel`, { token: bob })).body.code, 'TaskNotFound');
  // A's private function on B's own endpoint.
  t.deepEqual((await submitTo(live, bobsEndpoint, fn, [jsonPayload(1)], { token: bob })).body,
    { code: 'FunctionNotFound', reason: `function ${fn} not found`, http_status_code: 404 });
  t.is((await live.call('GET', `/v3/functions/${fn}`, { token: bob })).body.code, 'FunctionNotFound');
  // B's endpoint credential cannot lease, heartbeat or post results for A's endpoint; B's user token is no endpoint credential.
  t.is((await lease(live, endpointId, bobsCredential)).body.code, 'EndpointAccessForbidden');
  t.is((await postResults(live, endpointId, bobsCredential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '666' }])).status, 403);
  t.is((await heartbeat(live, endpointId, bobsCredential)).body.code, 'EndpointAccessForbidden');
  t.is((await live.call('POST', `/v3/endpoints/${endpointId}/release`, { token: bobsCredential, body: { leases: [{ task_id: taskId, lease_token: task.lease_token }] } })).body.code, 'EndpointAccessForbidden');
  t.is((await lease(live, endpointId, bob)).body.code, 'EndpointCredentialInvalid');
  // Nor take over A's endpoint (re-registering it would rotate its credential).
  t.is((await live.call('PUT', `/v3/endpoints/${endpointId}`, { token: bob, body: { name: 'mine', rotate_credential: true } })).body.code, 'EndpointNotFound');
  t.is((await live.call('DELETE', `/v3/endpoints/${endpointId}`, { token: bob })).body.code, 'EndpointNotFound');
  // A's result is untouched.
  t.like((await live.call('GET', `/v2/tasks/${taskId}`, { token: alice })).body, { status: 'success', result: '2' });
  t.is((await lease(live, endpointId, credential)).status, 200);
});

oidcServiceTest('public on an endpoint only makes it discoverable: others see it but cannot run on it', async (t, live, provider) => {
  const alice = await provider.token('alice');
  const bob = await provider.token('bob');
  const fn = await registerFunction(live, { public: true }, alice);
  const { endpointId } = await registerEndpoint(live, { name: 'listed', public: true }, alice);
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}`, { token: bob })).body, { endpoint_id: endpointId, owner: 'alice', public: true });
  t.deepEqual((await submitTo(live, endpointId, fn, [jsonPayload(1)], { token: bob })).body,
    { code: 'EndpointAccessForbidden', reason: `you may not run tasks on endpoint ${endpointId}`, http_status_code: 403 });
});

oidcServiceTest('group members (groups from the provider) run on a shared endpoint and a shared function, and lose both when dropped from the group', async (t, live, provider) => {
  provider.groups.set('bob', ['physics']);
  const alice = await provider.token('alice');
  const bob = await provider.token('bob'); // opaque: groups as the provider says at each introspection
  const carol = await provider.token('carol');
  const fn = await registerFunction(live, { group_ids: ['physics'] }, alice);
  const { endpointId, credential } = await registerEndpoint(live, { name: 'shared', allowed_groups: ['physics'] }, alice);
  const [taskId] = await submitOk(live, endpointId, fn, [jsonPayload(21)], bob);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  t.is(task.task_id, taskId);
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '42' }]);
  // The member reads their own task; the endpoint's owner does not see the member's tasks.
  t.like((await live.call('GET', `/v2/tasks/${taskId}`, { token: bob })).body, { status: 'success', result: '42' });
  t.is((await live.call('GET', `/v2/tasks/${taskId}`, { token: alice })).body.code, 'TaskNotFound');
  // Not a member: neither the endpoint nor the function.
  t.is((await submitTo(live, endpointId, fn, [jsonPayload(1)], { token: carol })).body.code, 'EndpointNotFound');

  provider.groups.set('bob', []);
  const refused = await untilRefused(() => submitTo(live, endpointId, fn, [jsonPayload(1)], { token: bob }));
  t.is(refused?.body.code, 'EndpointNotFound', 'dropped from the group, bob kept access past the cache window');
  t.is((await live.call('GET', `/v3/functions/${fn}`, { token: bob })).body.code, 'FunctionNotFound');
  // His own finished task stays his.
  t.like((await live.call('GET', `/v2/tasks/${taskId}`, { token: bob })).body, { status: 'success', result: '42' });
}, { oidcIntrospectionCacheTtl: '300ms' });

oidcServiceTest('JWT access tokens carry groups too (as issued)', async (t, live, provider) => {
  provider.groups.set('carol', ['chemistry']);
  const alice = await provider.token('alice', { format: 'jwt' });
  const carol = await provider.token('carol', { format: 'jwt' });
  const bob = await provider.token('bob', { format: 'jwt' });
  const fn = await registerFunction(live, { group_ids: ['chemistry'] }, alice);
  const { endpointId } = await registerEndpoint(live, { name: 'chem', allowed_groups: ['chemistry'] }, alice);
  t.is((await submitTo(live, endpointId, fn, [jsonPayload(1)], { token: carol })).status, 200);
  t.is((await submitTo(live, endpointId, fn, [jsonPayload(1)], { token: bob })).body.code, 'EndpointNotFound');
  t.is((await live.call('GET', `/v3/tasks/${randomUUID()}`, { token: carol })).body.code, 'TaskNotFound');
});

/** Repeats a request until it is refused (4xx), bounded (~10 s); the refusal, or undefined. */
async function untilRefused(request: () => Promise<{ status: number; body: { code?: string } }>) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await request();
    if (response.status >= 400) return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}
