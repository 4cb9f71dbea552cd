/**
 * An idle endpoint's heartbeats (the same report every 10 s) write only what changes
 * (src/registry/heartbeatMemory.ts): one log entry per distinct report, the last-seen time
 * refreshed once it ages (so the endpoint stays online on every replica), and a state the
 * agent reported cleared by its next heartbeat at once. An idle agent's lease polls stand for
 * its heartbeats (src/registry/pollSightings.ts), when the lease answer says so.
 */
import { heartbeat, lease, registerEndpoint, registerFunction, submitOk } from './support.js';
import { jsonPayload, serviceTest } from '../helpers/service.js';
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

serviceTest('a lease answer says idle_heartbeat_s only when polls of its wait keep the endpoint online', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const functionId = await registerFunction(live);
  // The poll answers at once with a task, whatever its wait.
  const leaseWith = async (waitS: number) => {
    await submitOk(live, endpointId, functionId, [jsonPayload()]);
    const answer = await lease(live, endpointId, credential, 1, waitS);
    t.is(answer.status, 200);
    t.is(answer.body.tasks.length, 1);
    return answer.body;
  };
  // Offline after 60 s: a poll's wait and 5 s for the next poll to arrive must fit in it.
  t.is((await leaseWith(55)).idle_heartbeat_s, 300);
  t.false('idle_heartbeat_s' in (await leaseWith(56)), 'a 56 s poll cannot keep an endpoint online for 60 s');
}, { endpointOfflineAfter: '60s' });

serviceTest('polls alone keep an endpoint online past the offline threshold, without a heartbeat log entry', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  t.is((await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 4 })).status, 200);
  const first = await lastSeen(live, endpointId);
  // Polls of 1 s (an idle agent's, shortened) until the sighting moves the last-seen time past the threshold.
  await eventually(60_000, 'lease polls to keep the endpoint seen past its offline threshold', async () => {
    t.is((await lease(live, endpointId, credential, 1, 1)).status, 200);
    return (await lastSeen(live, endpointId)) - first > 7_000;
  }, 0);
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body, { status: 'online', state: 'online', total_workers: 4 });
  t.is(await logRows(live, endpointId), 1, 'sightings add no log entry');
}, { endpointOfflineAfter: '7s' });
