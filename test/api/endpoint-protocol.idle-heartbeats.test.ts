/**
 * An idle endpoint's heartbeats (the same report every 10 s) write only what changes
 * (src/registry/heartbeatMemory.ts): one log entry per distinct report, the last-seen time
 * refreshed once it ages (so the endpoint stays online on every replica), and a state the
 * agent reported cleared by its next heartbeat at once.
 */
import { heartbeat, registerEndpoint } from './support.js';
import { serviceTest } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';

const logRows = async (live: Parameters<typeof heartbeat>[0], endpointId: string) =>
  Number(((await live.db('endpoint_heartbeats').where({ endpoint_id: endpointId }).count({ n: '*' })) as { n: number | string }[])[0].n);
const lastSeen = async (live: Parameters<typeof heartbeat>[0], endpointId: string) =>
  Number((await live.db('endpoints').where({ id: endpointId }).first('last_heartbeat_at')).last_heartbeat_at);

serviceTest('unchanged heartbeats add no log entry; a changed report does; the last-seen time still moves', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  for (let i = 0; i < 3; i++) t.is((await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 4 })).status, 200);
  t.is(await logRows(live, endpointId), 1, 'three identical reports are one log entry');
  t.is((await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 3 })).status, 200);
  t.is(await logRows(live, endpointId), 2, 'a changed report is logged');

  // endpointOfflineAfter 2s: an unchanged report is written again once the last write is 0.5 s old.
  const before = await lastSeen(live, endpointId);
  await eventually(30_000, 'an unchanged heartbeat to refresh the stored last-seen time', async () => {
    await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 3 });
    return (await lastSeen(live, endpointId)) > before;
  }, 100);
  t.is(await logRows(live, endpointId), 2, 'refreshing the last-seen time logs nothing');
  t.is((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body.status, 'online');
}, { endpointOfflineAfter: '2s' });

serviceTest('an agent that reported it stopped is online again at its next heartbeat, even one repeating the last report', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  await heartbeat(live, endpointId, credential);
  t.is((await live.call('POST', `/v3/endpoints/${endpointId}/state`, { token: credential, body: { state: 'offline', detail: 'stopped cleanly by alice' } })).status, 200);
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { status: 'offline' });
  await heartbeat(live, endpointId, credential);
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { status: 'online', state: 'online' });
}, { endpointOfflineAfter: '60s' });
