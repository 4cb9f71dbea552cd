/**
 * An endpoint's state says why: online; offline (never connected, or stopped cleanly: by whom,
 * when); lost (heartbeats stopped without a word: since when); failed (the agent's fatal error).
 * Blocks show their scheduler's state. The status of a public endpoint tells a stranger the word only.
 */
import { assertSchema, serviceTest } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';
import { heartbeat, registerEndpoint } from './support.js';

const reportState = (live: Parameters<typeof heartbeat>[0], endpointId: string, credential: string, body: unknown) =>
  live.call('POST', `/v3/endpoints/${endpointId}/state`, { token: credential, body });

serviceTest('state: offline before any agent, online after a heartbeat, offline with who stopped it, online again, failed with the error', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const status = async () => {
    const response = await live.call('GET', `/v2/endpoints/${endpointId}/status`);
    t.is(response.status, 200, JSON.stringify(response.body));
    assertSchema(t, 'endpoint-status.json', response.body);
    return response.body;
  };
  t.like(await status(), { status: 'offline', state: 'offline', state_detail: 'no agent has connected yet', state_since: null });

  t.is((await heartbeat(live, endpointId, credential)).status, 200);
  const online = await status();
  t.like(online, { status: 'online', state: 'online', state_detail: null });
  t.truthy(Date.parse(online.state_since));

  const stopped = await reportState(live, endpointId, credential, { state: 'offline', detail: 'stopped cleanly by alice (funcx-endpoint stop, pid 42; SIGTERM)' });
  t.is(stopped.status, 200, JSON.stringify(stopped.body));
  assertSchema(t, 'endpoint-state-report-response.json', stopped.body);
  const offline = await status();
  // Offline at once, although its last heartbeat is fresh: it said it stopped.
  t.like(offline, { status: 'offline', state: 'offline', state_detail: 'stopped cleanly by alice (funcx-endpoint stop, pid 42; SIGTERM)', total_workers: 0 });
  t.truthy(Date.parse(offline.state_since));
  const listed = await live.call('GET', '/v3/endpoints');
  assertSchema(t, 'endpoint-list-response.json', listed.body);
  t.like(listed.body.endpoints.find((e: { endpoint_id: string }) => e.endpoint_id === endpointId), { status: 'offline', state: 'offline', state_detail: 'stopped cleanly by alice (funcx-endpoint stop, pid 42; SIGTERM)' });

  // The agent's next heartbeat (it started again) clears its last word.
  await heartbeat(live, endpointId, credential);
  t.like(await status(), { status: 'online', state: 'online', state_detail: null });

  await reportState(live, endpointId, credential, { state: 'failed', detail: 'credential refused: the service no longer accepts this endpoint' });
  t.like(await status(), { status: 'offline', state: 'failed', state_detail: 'credential refused: the service no longer accepts this endpoint' });
  const read = await live.call('GET', `/v3/endpoints/${endpointId}`);
  t.is(read.body.status, 'offline');
});

serviceTest('state: heartbeats that stop without a word make the endpoint lost, since its last heartbeat', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  await heartbeat(live, endpointId, credential);
  const lastBeat = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body.last_heartbeat_at;
  const lost = await eventually(30_000, 'the endpoint shown lost', async () => {
    const body = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
    return body.state === 'lost' ? body : undefined;
  });
  assertSchema(t, 'endpoint-status.json', lost);
  t.like(lost, { status: 'offline', state: 'lost', state_since: lastBeat });
  t.true(lost.state_detail.startsWith(`no heartbeat since ${lastBeat}`), lost.state_detail);
}, { endpointOfflineAfter: '1s' });

serviceTest('state: blocks (and the last ended ones) show what their scheduler says; a stranger to a public endpoint gets the state word, not why', async (t, live) => {
  const stranger = await live.tokenFor('carol');
  const { endpointId, credential } = await registerEndpoint(live, { public: true });
  const blocks = [
    { block_id: 'b1-abc', job_id: '1234', state: 'pending', scheduler_state: 'PENDING (Resources)', managers: [] },
    { block_id: 'b2-abc', job_id: '1235', state: 'running', managers: [{ manager_id: 'm', hostname: 'n1', slots: 4, running: 1 }] },
  ];
  const ended = [{ block_id: 'b0-abc', job_id: '1230', state: 'failed', scheduler_state: 'FAILED: code 1', managers: [] }];
  await heartbeat(live, endpointId, credential, { details: { provider: 'SlurmProvider', blocks, ended_blocks: ended } });
  const owner = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  assertSchema(t, 'endpoint-status.json', owner);
  t.deepEqual(owner.blocks, [
    { block_id: 'b1-abc', job_id: '1234', scheduler_state: 'PENDING (Resources)' },
    { block_id: 'b2-abc', job_id: '1235', scheduler_state: 'RUNNING' },
    { block_id: 'b0-abc', job_id: '1230', scheduler_state: 'FAILED: code 1', ended: true },
  ]);
  await reportState(live, endpointId, credential, { state: 'failed', detail: 'sbatch: error: invalid partition specified: gpu' });
  const seen = await live.call('GET', `/v3/endpoints/${endpointId}/status`, { token: stranger });
  assertSchema(t, 'endpoint-status.json', seen.body);
  t.like(seen.body, { status: 'offline', state: 'failed', state_detail: null });
  t.false(JSON.stringify(seen.body).includes('partition'));
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { state: 'failed', state_detail: 'sbatch: error: invalid partition specified: gpu' });
});

serviceTest('state: online, but a provider that cannot start blocks says so in state_detail (the scheduler\'s words)', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const refused = [{ block_id: 'b1-x', job_id: null, state: 'failed', scheduler_state: 'SUBMIT FAILED: sbatch: error: invalid partition specified: gpu', managers: [] }];
  await heartbeat(live, endpointId, credential, { details: { blocks: [], ended_blocks: refused } });
  const body = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body;
  assertSchema(t, 'endpoint-status.json', body);
  t.like(body, { status: 'online', state: 'online', state_detail: 'blocks cannot start: SUBMIT FAILED: sbatch: error: invalid partition specified: gpu' });
  // A block that runs again: nothing to say.
  const running = [{ block_id: 'b2-x', job_id: '7', state: 'running', managers: [] }];
  await heartbeat(live, endpointId, credential, { details: { blocks: running, ended_blocks: refused } });
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { state: 'online', state_detail: null });
});

serviceTest('state report: only the endpoint credential, and only offline or failed with a detail', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const asUser = await live.call('POST', `/v3/endpoints/${endpointId}/state`, { body: { state: 'offline', detail: 'x' } });
  t.is(asUser.status, 401);
  assertSchema(t, 'error.json', asUser.body);
  for (const body of [{ state: 'online', detail: 'x' }, { state: 'failed' }, { state: 'failed', detail: '' }]) {
    const bad = await reportState(live, endpointId, credential, body);
    t.is(bad.status, 400, JSON.stringify(body));
    assertSchema(t, 'error.json', bad.body);
  }
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { state: 'offline', state_detail: 'no agent has connected yet' });
});
