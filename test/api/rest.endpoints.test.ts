import { assertSchema, serviceTest } from '../helpers/service.js';

serviceTest('register an endpoint, re-register the same id, rotate its credential', async (t, live) => {
  const created = await live.call('POST', '/v3/endpoints', { body: { name: 'laptop', metadata: { hostname: 'here' } } });
  t.is(created.status, 201);
  assertSchema(t, 'endpoint-register-response.json', created.body);
  const id = created.body.endpoint_id;
  t.regex(created.body.credential, /^fxe_/);
  const again = await live.call('PUT', `/v3/endpoints/${id}`, { body: { name: 'laptop', display_name: 'My laptop' } });
  t.deepEqual(again.body, { endpoint_id: id, name: 'laptop' }); // no new credential unless asked
  const heartbeat = (credential: string) => live.call('POST', `/v3/endpoints/${id}/heartbeat`, { token: credential, body: { total_workers: 1, idle_workers: 1, outstanding_tasks: 0, pending_tasks: 0 } });
  t.is((await heartbeat(created.body.credential)).status, 200);
  const rotated = await live.call('PUT', `/v3/endpoints/${id}`, { body: { name: 'laptop', rotate_credential: true } });
  t.regex(rotated.body.credential, /^fxe_/);
  t.is((await heartbeat(created.body.credential)).body.code, 'EndpointCredentialInvalid');
  t.is((await heartbeat(rotated.body.credential)).status, 200);
  const read = await live.call('GET', `/v2/endpoints/${id}`);
  assertSchema(t, 'endpoint.json', read.body);
  t.like(read.body, { display_name: 'My laptop', status: 'online', metadata: { hostname: 'here' } });
  const bob = await live.tokenFor('bob');
  const stolen = await live.call('PUT', `/v3/endpoints/${id}`, { token: bob, body: { name: 'mine' } });
  t.is(stolen.body.code, 'EndpointNotFound'); // a private endpoint is not revealed
});

serviceTest('status reads heartbeats (the tutorial reads logs[0].total_workers) and counts the ledger', async (t, live) => {
  const { endpoint_id: id, credential } = (await live.call('POST', '/v3/endpoints', { body: { name: 'hpc' } })).body;
  const offline = await live.call('GET', `/v2/endpoints/${id}/status`);
  assertSchema(t, 'endpoint-status.json', offline.body);
  t.like(offline.body, { status: 'offline', total_workers: 0, logs: [] });
  for (const idle of [3, 2]) {
    await live.call('POST', `/v3/endpoints/${id}/heartbeat`, {
      token: credential,
      body: { total_workers: 4, idle_workers: idle, outstanding_tasks: 4 - idle, pending_tasks: 0, hostname: 'login1', runtimes: [{ name: 'python', version: '3.11.7' }] },
    });
  }
  const online = await live.call('GET', `/v2/endpoints/${id}/status`);
  assertSchema(t, 'endpoint-status.json', online.body);
  t.like(online.body, { status: 'online', total_workers: 4, idle_workers: 2 });
  t.like(online.body.logs[0], { total_workers: 4, idle_workers: 2, outstanding_tasks: 2, hostname: 'login1' });
  t.is(online.body.logs.length, 2);
});

serviceTest('list mine, or any I can see; allowed groups may use an endpoint, public only lists it', async (t, live) => {
  const bob = await live.tokenFor('bob', ['physics']);
  const carol = await live.tokenFor('carol');
  await live.call('POST', '/v3/endpoints', { body: { name: 'private' } });
  await live.call('POST', '/v3/endpoints', { body: { name: 'shared', allowed_groups: ['physics'] } });
  await live.call('POST', '/v3/endpoints', { body: { name: 'listed', public: true } });
  const names = async (token: string, role: string) => {
    const response = await live.call('GET', `/v3/endpoints?role=${role}`, { token });
    assertSchema(t, 'endpoint-list-response.json', response.body);
    return response.body.endpoints.map((e: { name: string }) => e.name).sort();
  };
  t.deepEqual(await names(live.adminToken, 'owner'), ['listed', 'private', 'shared']);
  t.deepEqual(await names(bob, 'any'), ['listed', 'shared']);
  t.deepEqual(await names(carol, 'any'), ['listed']);
  t.deepEqual(await names(carol, 'owner'), []);
});

serviceTest('allowed functions: read, set, and enforced at submit', async (t, live) => {
  const fn = (await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: 'def f():\n    pass\n', entry_point: 'f' } })).body.function_uuid;
  const other = (await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: 'def g():\n    pass\n', entry_point: 'g' } })).body.function_uuid;
  const { endpoint_id: id } = (await live.call('POST', '/v3/endpoints', { body: { name: 'strict', allowed_functions: [fn] } })).body;
  t.deepEqual((await live.call('GET', `/v3/endpoints/${id}/allowed_functions`)).body, { functions: [fn] });
  const refused = await live.call('POST', `/v3/endpoints/${id}/submit`, { body: { tasks: { [other]: ['{"args":[],"kwargs":{}}'] } } });
  t.deepEqual(refused.body, { code: 'FunctionNotPermitted', reason: `endpoint ${id} does not allow function ${other}`, http_status_code: 403 });
  t.is((await live.call('POST', `/v3/endpoints/${id}/submit`, { body: { tasks: { [fn]: ['{"args":[],"kwargs":{}}'] } } })).status, 200);
  await live.call('PUT', `/v3/endpoints/${id}/allowed_functions`, { body: { functions: [] } });
  t.is((await live.call('POST', `/v3/endpoints/${id}/submit`, { body: { tasks: { [other]: ['{"args":[],"kwargs":{}}'] } } })).status, 200);
});

serviceTest('deleting an endpoint fails its unfinished tasks and revokes its credential', async (t, live) => {
  const fn = (await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: 'def f():\n    pass\n', entry_point: 'f' } })).body.function_uuid;
  const { endpoint_id: id, credential } = (await live.call('POST', '/v3/endpoints', { body: { name: 'doomed' } })).body;
  const [task] = (await live.call('POST', `/v3/endpoints/${id}/submit`, { body: { tasks: { [fn]: ['{"args":[],"kwargs":{}}'] } } })).body.tasks[fn];
  const deleted = await live.call('DELETE', `/v3/endpoints/${id}`);
  t.deepEqual(deleted.body, { endpoint_id: id, deleted: true, failed_tasks: 1 });
  const failed = await live.call('GET', `/v2/tasks/${task}`);
  t.like(failed.body, { status: 'failed', exception: { type: 'EndpointDeleted' } });
  const lease = await live.call('POST', `/v3/endpoints/${id}/lease`, { token: credential, body: { max_tasks: 1, wait_s: 0 } });
  t.is(lease.body.code, 'EndpointCredentialInvalid');
  t.is((await live.call('GET', `/v2/endpoints/${id}`)).body.code, 'EndpointNotFound');
});
