/** get_endpoint_status (the tutorial reads status['logs'][0]['total_workers']) and listing endpoints. */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { NIL_UUID, heartbeat, lease, registerEndpoint, submitOk } from './support.js';

serviceTest('status: offline with no heartbeat; a heartbeat makes it online with total_workers in logs[0]', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live, { name: 'hpc' });
  const offline = await live.call('GET', `/v2/endpoints/${endpointId}/status`);
  t.is(offline.status, 200);
  assertSchema(t, 'endpoint-status.json', offline.body);
  t.deepEqual(offline.body, {
    endpoint_id: endpointId, status: 'offline', total_workers: 0, idle_workers: 0, outstanding_tasks: 0, pending_tasks: 0, last_heartbeat_at: null, logs: [],
    state: 'offline', state_detail: 'no agent has connected yet', state_since: null,
  });
  const beat = await heartbeat(live, endpointId, credential, {
    total_workers: 4, idle_workers: 3, outstanding_tasks: 1, pending_tasks: 0, hostname: 'login1',
    runtimes: [{ name: 'python', version: '3.11.7' }], details: { provider: 'local' },
  });
  t.is(beat.status, 200);
  assertSchema(t, 'endpoint-heartbeat-response.json', beat.body);
  t.deepEqual(beat.body, { lease_seconds: 60, extended: 0, cancel: [], lost: [] });
  const online = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  assertSchema(t, 'endpoint-status.json', online.body);
  t.like(online.body, { endpoint_id: endpointId, status: 'online', total_workers: 4, idle_workers: 3 });
  t.is(typeof online.body.last_heartbeat_at, 'string');
  t.is(online.body.logs[0].total_workers, 4); // as the tutorial reads it
  t.like(online.body.logs[0], {
    total_workers: 4, idle_workers: 3, outstanding_tasks: 1, pending_tasks: 0, hostname: 'login1',
    runtimes: [{ name: 'python', version: '3.11.7' }], details: { provider: 'local' },
  });
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}`)).body, { status: 'online' });
});

serviceTest('status logs are newest first and keep only the configured number', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  for (const total of [1, 2, 3, 4, 5]) await heartbeat(live, endpointId, credential, { total_workers: total, idle_workers: total });
  const status = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  assertSchema(t, 'endpoint-status.json', status);
  t.deepEqual(status.logs.map((l: { total_workers: number }) => l.total_workers), [5, 4, 3]);
  t.is(status.total_workers, 5);
}, { heartbeatLogSize: 3 });

serviceTest('status counts waiting and running tasks from the ledger', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2), jsonPayload(3)]);
  await lease(live, endpointId, credential, 1);
  // The endpoint's own counts in its heartbeat do not override the ledger's.
  await heartbeat(live, endpointId, credential, { total_workers: 1, idle_workers: 0, outstanding_tasks: 99, pending_tasks: 99 });
  const status = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  assertSchema(t, 'endpoint-status.json', status);
  t.like(status, { status: 'online', outstanding_tasks: 1, pending_tasks: 2 });
  t.like(status.logs[0], { outstanding_tasks: 99, pending_tasks: 99 });
});

serviceTest('an endpoint whose heartbeats stopped is offline, with no workers, its log kept', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  await heartbeat(live, endpointId, credential, { total_workers: 8, idle_workers: 8 });
  await live.db('endpoints').where({ id: endpointId }).update({ last_heartbeat_at: 1 }); // long ago
  const status = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  assertSchema(t, 'endpoint-status.json', status);
  t.like(status, { status: 'offline', total_workers: 0, idle_workers: 0 });
  t.is(status.logs[0].total_workers, 8);
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}`)).body, { status: 'offline' });
  t.like((await live.call('GET', '/v3/endpoints')).body.endpoints[0], { endpoint_id: endpointId, status: 'offline' });
});

serviceTest('list: role=owner lists mine; role=any adds public ones and those shared with my groups', async (t, live) => {
  const bob = await live.tokenFor('bob', ['physics']);
  const carol = await live.tokenFor('carol');
  const { endpointId: privateId, credential } = await registerEndpoint(live, { name: 'private' });
  await registerEndpoint(live, { name: 'shared', allowed_groups: ['physics'] });
  await registerEndpoint(live, { name: 'listed', public: true, display_name: 'Listed one' });
  await registerEndpoint(live, { name: 'bobs' }, bob);
  await heartbeat(live, privateId, credential);
  const list = async (token: string, query: string) => {
    const response = await live.call('GET', `/v3/endpoints${query}`, { token });
    t.is(response.status, 200);
    assertSchema(t, 'endpoint-list-response.json', response.body);
    return response.body.endpoints as { name: string; owner: string; status: string; public: boolean; display_name: string }[];
  };
  const names = async (token: string, query: string) => (await list(token, query)).map((e) => e.name).sort();
  t.deepEqual(await names(live.adminToken, '?role=owner'), ['listed', 'private', 'shared']);
  t.deepEqual(await names(live.adminToken, ''), ['listed', 'private', 'shared']); // owner is the default
  t.deepEqual(await names(bob, '?role=owner'), ['bobs']);
  t.deepEqual(await names(bob, '?role=any'), ['bobs', 'listed', 'shared']);
  t.deepEqual(await names(carol, '?role=any'), ['listed']);
  t.deepEqual(await names(carol, '?role=owner'), []);
  const mine = await list(live.adminToken, '?role=owner');
  t.like(mine.find((e) => e.name === 'private'), { owner: 'admin', status: 'online', public: false });
  t.like(mine.find((e) => e.name === 'listed'), { status: 'offline', public: true, display_name: 'Listed one' });
  const bad = await live.call('GET', '/v3/endpoints?role=everyone');
  t.like(bad.body, { code: 'RequestMalformed', reason: 'invalid request: query/role must be equal to one of the allowed values', http_status_code: 400 });
});

serviceTest('status and records: visible to owners, allowed groups and (public) everyone; hidden otherwise', async (t, live) => {
  const member = await live.tokenFor('bob', ['physics']);
  const stranger = await live.tokenFor('carol');
  const { endpointId: shared } = await registerEndpoint(live, { name: 'shared', allowed_groups: ['physics'] });
  const { endpointId: listed } = await registerEndpoint(live, { name: 'listed', public: true });
  for (const path of [`/v3/endpoints/${shared}`, `/v3/endpoints/${shared}/status`]) {
    t.is((await live.call('GET', path, { token: member })).status, 200);
    t.deepEqual((await live.call('GET', path, { token: stranger })).body, { code: 'EndpointNotFound', reason: `endpoint ${shared} not found`, http_status_code: 404 });
  }
  const publicStatus = await live.call('GET', `/v2/endpoints/${listed}/status`, { token: stranger });
  assertSchema(t, 'endpoint-status.json', publicStatus.body);
  t.deepEqual((await live.call('GET', `/v2/endpoints/${NIL_UUID}/status`)).body, { code: 'EndpointNotFound', reason: `endpoint ${NIL_UUID} not found`, http_status_code: 404 });
  t.deepEqual((await live.call('GET', '/v2/endpoints/xyz/status')).body, { code: 'InvalidUUID', reason: 'endpoint_id "xyz" is not a UUID', http_status_code: 400 });
});
