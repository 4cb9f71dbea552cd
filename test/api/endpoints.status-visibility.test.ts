/**
 * `public` makes an endpoint discoverable, not inspectable: its status details
 * (heartbeat log with hostnames and managers, load) are for the owner and
 * members of its allowed_groups; anyone else learns online/offline only.
 */
import { assertSchema, serviceTest } from '../helpers/service.js';
import { heartbeat, registerEndpoint } from './support.js';

serviceTest('status of a public endpoint: full for owner and allowed groups, online/offline only for others', async (t, live) => {
  const member = await live.tokenFor('bob', ['physics']);
  const stranger = await live.tokenFor('carol');
  const { endpointId, credential } = await registerEndpoint(live, { name: 'listed', public: true, allowed_groups: ['physics'] });
  const details = { provider: 'SlurmProvider', managers: [{ hostname: 'node0001.cluster.example.org', listen_port: 54321 }] };
  t.is((await heartbeat(live, endpointId, credential, { total_workers: 8, hostname: 'login1.cluster.example.org', details })).status, 200);

  for (const token of [undefined, member]) {
    const full = await live.call('GET', `/v3/endpoints/${endpointId}/status`, { token });
    t.is(full.status, 200);
    assertSchema(t, 'endpoint-status.json', full.body);
    t.like(full.body, { endpoint_id: endpointId, status: 'online', total_workers: 8 });
    t.is(full.body.logs[0].hostname, 'login1.cluster.example.org');
    t.deepEqual(full.body.logs[0].details, details);
  }

  for (const path of [`/v2/endpoints/${endpointId}/status`, `/v3/endpoints/${endpointId}/status`]) {
    const limited = await live.call('GET', path, { token: stranger });
    t.is(limited.status, 200);
    assertSchema(t, 'endpoint-status.json', limited.body);
    // The state word and since when, never why (that may name who stopped it, or quote its errors).
    const { state_since: since, ...rest } = limited.body;
    t.deepEqual(rest, { endpoint_id: endpointId, status: 'online', state: 'online', state_detail: null });
    t.truthy(Date.parse(since));
  }
  t.false(JSON.stringify((await live.call('GET', `/v3/endpoints/${endpointId}/status`, { token: stranger })).body).includes('cluster.example.org'));

  // A private endpoint stays invisible to the stranger altogether.
  const { endpointId: hidden } = await registerEndpoint(live, { name: 'hidden' });
  t.is((await live.call('GET', `/v3/endpoints/${hidden}/status`, { token: stranger })).status, 404);
});

serviceTest('a public endpoint\'s record: allowed_groups and metadata for owner and allowed groups only', async (t, live) => {
  const member = await live.tokenFor('bob', ['physics']);
  const stranger = await live.tokenFor('carol');
  const { endpointId } = await registerEndpoint(live, { name: 'listed', public: true, allowed_groups: ['physics'], metadata: { site: 'secret-lab' } });
  for (const token of [undefined, member]) {
    const full = await live.call('GET', `/v3/endpoints/${endpointId}`, { token });
    assertSchema(t, 'endpoint.json', full.body);
    t.like(full.body, { endpoint_id: endpointId, allowed_groups: ['physics'], metadata: { site: 'secret-lab' } });
  }
  const limited = await live.call('GET', `/v2/endpoints/${endpointId}`, { token: stranger });
  t.is(limited.status, 200);
  assertSchema(t, 'endpoint.json', limited.body);
  t.like(limited.body, { endpoint_id: endpointId, name: 'listed', public: true });
  t.false('allowed_groups' in limited.body);
  t.false('metadata' in limited.body);
});
