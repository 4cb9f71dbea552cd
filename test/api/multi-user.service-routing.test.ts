/**
 * Multi-user endpoints on the service: registered by an administrator, open to
 * the users it allows; it leases nothing itself; it learns which users have
 * work waiting (identity, claims, settings), gets each a per-user endpoint
 * whose credential leases only that user's tasks with those settings, and may
 * refuse a user's tasks with a reason the user reads.
 */
import { assertSchema, jsonPayload, serviceTest, type LiveService } from '../helpers/service.js';
import { getTask, heartbeat, lease, postResults, registerEndpoint, registerFunction, submitTo } from './support.js';
import { userConfigKey } from '../../src/ledger/userConfigKey.js';

async function submitAs(live: LiveService, token: string, endpointId: string, functionId: string, config?: Record<string, unknown>): Promise<string> {
  const response = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { token, extra: config ? { user_endpoint_config: config } : {} });
  if (response.status !== 200) throw new Error(`submit failed: ${JSON.stringify(response.body)}`);
  return response.body.tasks[functionId][0];
}

function demand(live: LiveService, mep: { endpointId: string; credential: string }, serving: string[] = [], waitS = 0) {
  return live.call('POST', `/v3/endpoints/${mep.endpointId}/user_demand`, { token: mep.credential, body: { wait_s: waitS, serving } });
}

function issue(live: LiveService, mep: { endpointId: string; credential: string }, identity: string, config: Record<string, unknown> = {}) {
  return live.call('POST', `/v3/endpoints/${mep.endpointId}/user_endpoints`, {
    token: mep.credential,
    body: { identity, user_config_key: userConfigKey(config), local_user: identity.split('@')[0] },
  });
}

async function setup(live: LiveService, body: Record<string, unknown> = { allow_any_user: true }) {
  const mep = await registerEndpoint(live, { name: 'site', multi_user: true, ...body });
  const functionId = await registerFunction(live, { public: true });
  const alice = await live.tokenFor('alice@example.org');
  const bob = await live.tokenFor('bob@example.org');
  return { mep, functionId, alice, bob };
}

serviceTest('multi-user: the endpoint leases nothing itself; demand names each user, claims and settings', async (t, live) => {
  const { mep, functionId, alice, bob } = await setup(live);
  const refused = await lease(live, mep.endpointId, mep.credential);
  t.is(refused.status, 403);
  t.is(refused.body.code, 'EndpointAccessForbidden');

  await submitAs(live, alice, mep.endpointId, functionId, { partition: 'debug', workers: 2 });
  await submitAs(live, alice, mep.endpointId, functionId, { workers: 2, partition: 'debug' }); // same settings, other key order
  await submitAs(live, bob, mep.endpointId, functionId);
  const answer = await demand(live, mep);
  t.is(answer.status, 200);
  assertSchema(t, 'user-demand-response.json', answer.body);
  const users = [...answer.body.users].sort((a, b) => a.identity.localeCompare(b.identity));
  t.deepEqual(users, [
    {
      identity: 'alice@example.org', claims: {}, user_config_key: userConfigKey({ partition: 'debug', workers: 2 }),
      user_endpoint_config: { partition: 'debug', workers: 2 }, user_runtime: null, waiting: 2, user_endpoint_id: null,
    },
    { identity: 'bob@example.org', claims: {}, user_config_key: userConfigKey({}), user_endpoint_config: {}, user_runtime: null, waiting: 1, user_endpoint_id: null },
  ]);
  // Only the multi-user endpoint's own credential asks.
  const stranger = await registerEndpoint(live, { name: 'plain' });
  const notMulti = await live.call('POST', `/v3/endpoints/${stranger.endpointId}/user_demand`, { token: stranger.credential, body: {} });
  t.is(notMulti.status, 403);
});

serviceTest('multi-user: the submitter\'s user_runtime is delivered with the demand and keys the per-user endpoint: another runtime is another group, the same one the same', async (t, live) => {
  const { mep, functionId, alice } = await setup(live);
  const cpython = { globus_compute_sdk_version: '2.34.0', globus_sdk_version: '3.65.0', python_version: '3.11.2 (main) [GCC 12.2.0]' };
  const pypy = { ...cpython, python_version: '3.9.16 (PyPy 7.3.11) [GCC 12.2.0]', python: { version: '3.9.16', version_tuple: [3, 9, 16], implementation: 'PyPy' } };
  // The upstream SDK's form (recognized by create_queue), twice with one runtime, once with another; and the native form.
  for (const runtime of [cpython, cpython, pypy]) {
    const response = await live.call('POST', `/v3/endpoints/${mep.endpointId}/submit`, {
      token: alice, body: { create_queue: false, tasks: { [functionId]: [jsonPayload(1)] }, user_endpoint_config: { workers: 2 }, user_runtime: runtime },
    });
    t.is(response.status, 200, JSON.stringify(response.body));
  }
  const native = await submitTo(live, mep.endpointId, functionId, [jsonPayload(1)], { token: alice, extra: { user_endpoint_config: { workers: 2 }, user_runtime: pypy } });
  t.is(native.status, 200, JSON.stringify(native.body));
  // A native body with user_runtime stays native: its JSON payload keeps the json serializer.
  t.like(await getTask(t, live, native.body.tasks[functionId][0], alice), { status: 'waiting-for-ep' });
  const nativeRow = await live.db('tasks').where({ id: native.body.tasks[functionId][0] }).first();
  t.is(nativeRow.serializer, 'json');
  const answer = await demand(live, mep);
  assertSchema(t, 'user-demand-response.json', answer.body);
  const byKey = (a: { user_config_key: string }, b: { user_config_key: string }) => a.user_config_key.localeCompare(b.user_config_key);
  t.deepEqual([...answer.body.users].sort(byKey).map((g: Record<string, unknown>) => ({ user_runtime: g.user_runtime, waiting: g.waiting, user_config_key: g.user_config_key })), [
    { user_runtime: cpython, waiting: 2, user_config_key: userConfigKey({ workers: 2 }, cpython) },
    { user_runtime: pypy, waiting: 2, user_config_key: userConfigKey({ workers: 2 }, pypy) },
  ].sort(byKey));
  t.not(userConfigKey({ workers: 2 }, cpython), userConfigKey({ workers: 2 }));
  const tooBig = await live.call('POST', `/v3/endpoints/${mep.endpointId}/submit`, {
    token: alice, body: { create_queue: false, tasks: { [functionId]: [jsonPayload(1)] }, user_runtime: { ...cpython, python_version: 'x'.repeat(600) } },
  });
  t.is(tooBig.status, 400);
});

serviceTest('multi-user: a per-user endpoint leases only its user\'s tasks with its settings, and runs them to completion', async (t, live) => {
  const { mep, functionId, alice, bob } = await setup(live);
  const mine = await submitAs(live, alice, mep.endpointId, functionId, { workers: 2 });
  const otherSettings = await submitAs(live, alice, mep.endpointId, functionId, { workers: 3 });
  const bobs = await submitAs(live, bob, mep.endpointId, functionId, { workers: 2 });
  const created = await issue(live, mep, 'alice@example.org', { workers: 2 });
  t.is(created.status, 201);
  assertSchema(t, 'user-endpoint-create-response.json', created.body);
  const child = { endpointId: created.body.endpoint_id, credential: created.body.credential };

  const leased = await lease(live, child.endpointId, child.credential);
  t.deepEqual(leased.body.tasks.map((task: { task_id: string }) => task.task_id), [mine]);
  const posted = await postResults(live, child.endpointId, child.credential, [
    { task_id: mine, lease_token: leased.body.tasks[0].lease_token, status: 'success', result: '2' },
  ]);
  t.deepEqual(posted.body.results, [{ task_id: mine, outcome: 'stored' }]);
  t.like(await getTask(t, live, mine, alice), { status: 'success', result: '2', endpoint_id: child.endpointId });
  t.like(await getTask(t, live, otherSettings, alice), { status: 'waiting-for-ep' });
  t.like(await getTask(t, live, bobs, bob), { status: 'waiting-for-ep' });

  // The child is running: the multi-user endpoint's demand no longer reports alice's {workers: 2}.
  const rest = await demand(live, mep, [child.endpointId]);
  t.deepEqual(rest.body.users.map((u: { identity: string; user_endpoint_config: unknown }) => [u.identity, u.user_endpoint_config]).sort(), [
    ['alice@example.org', { workers: 3 }],
    ['bob@example.org', { workers: 2 }],
  ]);
  // Nobody submits to a per-user endpoint directly, not even its user.
  const direct = await submitTo(live, child.endpointId, functionId, [jsonPayload(1)], { token: alice });
  t.is(direct.status, 403);
  t.is(direct.body.code, 'EndpointAccessForbidden');
});

serviceTest('multi-user: a per-user endpoint\'s tasks survive its death: requeued to it, reported as demand, leased by its next process', async (t, live) => {
  const { mep, functionId, alice } = await setup(live);
  const taskId = await submitAs(live, alice, mep.endpointId, functionId);
  const first = (await issue(live, mep, 'alice@example.org')).body;
  t.is((await lease(live, first.endpoint_id, first.credential)).body.tasks.length, 1);
  // The process is killed: its lease runs out and the reaper requeues the task, to the per-user endpoint.
  await live.db('tasks').where({ id: taskId }).update({ lease_expires_at: 0 });
  for (let i = 0; i < 200 && (await getTask(t, live, taskId, alice)).status !== 'waiting-for-ep'; i++) await new Promise((r) => setTimeout(r, 50));
  const waiting = await demand(live, mep);
  t.like(waiting.body.users[0], { identity: 'alice@example.org', waiting: 1, user_endpoint_id: first.endpoint_id });
  const second = (await issue(live, mep, 'alice@example.org')).body;
  t.is(second.endpoint_id, first.endpoint_id, 'the same per-user endpoint');
  t.is((await lease(live, first.endpoint_id, first.credential)).status, 401, 'the dead process\'s credential is revoked');
  const again = await lease(live, second.endpoint_id, second.credential);
  t.like(again.body.tasks[0], { task_id: taskId, attempt: 2 });
});

serviceTest('multi-user: refusing a user\'s tasks fails them with the reason (IdentityNotMapped), shown on the task', async (t, live) => {
  const { mep, functionId, alice, bob } = await setup(live);
  const bobs = await submitAs(live, bob, mep.endpointId, functionId);
  const alices = await submitAs(live, alice, mep.endpointId, functionId);
  const failed = await live.call('POST', `/v3/endpoints/${mep.endpointId}/user_demand/fail`, {
    token: mep.credential,
    body: { identity: 'bob@example.org', user_config_key: userConfigKey({}), type: 'IdentityNotMapped', message: 'bob@example.org maps to no local account' },
  });
  t.deepEqual(failed.body, { failed_tasks: [bobs] });
  t.like(await getTask(t, live, bobs, bob), {
    status: 'failed', pending: false, exception: { type: 'IdentityNotMapped', message: 'bob@example.org maps to no local account' },
  });
  t.like(await getTask(t, live, alices, alice), { status: 'waiting-for-ep' });
});

serviceTest('multi-user: who sees what: users their own per-user endpoints (listed under the multi-user one), the owner all', async (t, live) => {
  const { mep, functionId, alice, bob } = await setup(live);
  await submitAs(live, alice, mep.endpointId, functionId);
  const aliceChild = (await issue(live, mep, 'alice@example.org')).body;
  const bobChild = (await issue(live, mep, 'bob@example.org')).body;
  await heartbeat(live, aliceChild.endpoint_id, aliceChild.credential);
  await live.call('POST', `/v3/endpoints/${mep.endpointId}/user_demand/fail`, {
    token: mep.credential,
    body: { identity: 'bob@example.org', user_config_key: userConfigKey({}), type: 'UserEndpointFailed', message: 'exited with code 1' },
  });

  const listed = await live.call('GET', '/v3/endpoints?role=any', { token: alice });
  assertSchema(t, 'endpoint-list-response.json', listed.body);
  t.deepEqual(listed.body.endpoints.map((e: { endpoint_id: string; parent_endpoint_id: string | null; multi_user: boolean }) => [e.endpoint_id, e.parent_endpoint_id, e.multi_user]), [
    [mep.endpointId, null, true],
    [aliceChild.endpoint_id, mep.endpointId, false],
  ]);
  const adminList = await live.call('GET', '/v3/endpoints?role=owner');
  t.deepEqual(adminList.body.endpoints.map((e: { endpoint_id: string }) => e.endpoint_id), [mep.endpointId, aliceChild.endpoint_id, bobChild.endpoint_id]);

  const forAlice = await live.call('GET', `/v3/endpoints/${mep.endpointId}/status`, { token: alice });
  assertSchema(t, 'endpoint-status.json', forAlice.body);
  t.deepEqual(forAlice.body.user_endpoints.map((u: { endpoint_id: string; status: string }) => [u.endpoint_id, u.status]), [[aliceChild.endpoint_id, 'online']]);
  const forAdmin = await live.call('GET', `/v3/endpoints/${mep.endpointId}/status`);
  t.deepEqual(forAdmin.body.user_endpoints.map((u: { identity: string; last_error: string | null }) => [u.identity, u.last_error]), [
    ['alice@example.org', null],
    ['bob@example.org', 'UserEndpointFailed: exited with code 1'],
  ]);
  const bobsOwn = await live.call('GET', `/v3/endpoints/${bobChild.endpoint_id}/status`, { token: bob });
  t.is(bobsOwn.body.last_error, 'UserEndpointFailed: exited with code 1');
  t.is((await live.call('GET', `/v3/endpoints/${bobChild.endpoint_id}/status`, { token: alice })).status, 404);
  const record = await live.call('GET', `/v3/endpoints/${aliceChild.endpoint_id}`, { token: alice });
  assertSchema(t, 'endpoint.json', record.body);
  t.like(record.body, { parent_endpoint_id: mep.endpointId, serves_identity: 'alice@example.org', multi_user: false });
});

serviceTest('multi-user: without allow_any_user only allowed groups submit; multi_user cannot be switched on later', async (t, live) => {
  const { mep, functionId } = await setup(live, { allowed_groups: ['physics'] });
  const outsider = await live.tokenFor('carol@example.org');
  const member = await live.tokenFor('dave@example.org', ['physics']);
  t.is((await submitTo(live, mep.endpointId, functionId, [jsonPayload(1)], { token: outsider })).status, 404);
  t.is((await submitTo(live, mep.endpointId, functionId, [jsonPayload(1)], { token: member })).status, 200);

  const plain = await registerEndpoint(live, { name: 'plain' });
  const flipped = await live.call('PUT', `/v3/endpoints/${plain.endpointId}`, { body: { name: 'plain', multi_user: true } });
  t.is(flipped.status, 200);
  t.like((await live.call('GET', `/v3/endpoints/${plain.endpointId}`)).body, { multi_user: false });
  t.is((await lease(live, plain.endpointId, plain.credential)).status, 200, 'still an ordinary endpoint');
});

serviceTest('multi-user: deleting it deletes its per-user endpoints and fails their unfinished tasks', async (t, live) => {
  const { mep, functionId, alice } = await setup(live);
  const taskId = await submitAs(live, alice, mep.endpointId, functionId);
  const child = (await issue(live, mep, 'alice@example.org')).body;
  await lease(live, child.endpoint_id, child.credential);
  const deleted = await live.call('DELETE', `/v3/endpoints/${mep.endpointId}`);
  t.like(deleted.body, { deleted: true, failed_tasks: 1 });
  t.like(await getTask(t, live, taskId, alice), { status: 'failed', exception: { type: 'EndpointDeleted' } });
  t.is((await lease(live, child.endpoint_id, child.credential)).status, 401);
});
