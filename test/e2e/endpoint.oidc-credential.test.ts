/**
 * In oidc mode a real endpoint agent registers with its owner's access token,
 * then works with its own endpoint credential (so the owner's token may expire
 * or be revoked); the owner rotates and revokes that credential, which stops
 * the agent at once, and a re-registration brings it back.
 */
import path from 'node:path';
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startTestProvider } from '../helpers/oidcProvider.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { readIdentity } from '../../endpoint/identity.js';
import { lease } from '../api/support.js';

test('an endpoint registers with the owner\'s OIDC token, polls with its own credential, and is cut off by rotate and revoke', async (t) => {
  const provider = await startTestProvider(t);
  const live = await startLiveService(t, 'sqlite', provider.serviceConfig());
  const home = path.join(live.database.dir, 'endpoints');
  const firstToken = await provider.token('alice');
  const agent = await startEndpointProcess(t, live, { home, env: { FUNCX_TOKEN: firstToken } });
  const endpointId = agent.endpointId;
  const aliceToken = await provider.token('alice', { format: 'jwt' });
  t.like((await live.call('GET', `/v3/endpoints/${endpointId}`, { token: aliceToken })).body, { owner: 'alice', name: 'test-endpoint' });

  // The token it registered with is revoked at the provider: the agent does not need it any more.
  await provider.revoke('alice', firstToken);
  const fn = await registerPython(live, 'def triple(x):\n    return 3 * x\n', 'triple', aliceToken);
  const [first] = await submit(live, endpointId, fn, [[7]], { token: aliceToken });
  t.like((await waitForTasks(live, [first], 120_000, aliceToken))[first], { status: 'success', result: '21' });

  // Someone else can neither rotate nor revoke it.
  const bob = await provider.token('bob');
  t.is((await live.call('DELETE', `/v3/endpoints/${endpointId}/credential`, { token: bob })).body.code, 'EndpointNotFound');
  t.is((await live.call('PUT', `/v3/endpoints/${endpointId}`, { token: bob, body: { name: 'test-endpoint', rotate_credential: true } })).body.code, 'EndpointNotFound');

  // The owner rotates: the running agent's credential stops working and the agent stops.
  const oldCredential = readIdentity(agent.paths)!.credential;
  const rotated = await live.call('PUT', `/v3/endpoints/${endpointId}`, { token: aliceToken, body: { name: 'test-endpoint', rotate_credential: true } });
  t.is(rotated.status, 200);
  const newCredential = rotated.body.credential as string;
  t.true(newCredential.startsWith('fxe_') && newCredential !== oldCredential);
  // 3 is the documented CredentialRefused exit (docs/endpoints.md, troubleshooting.md): a
  // supervisor does not restart an agent on it (docs/deployment.md). Any other failure exits 1.
  t.is(await agent.exited, 3);
  t.regex(agent.output(), /the service no longer accepts this endpoint/);
  t.is((await lease(live, endpointId, oldCredential)).body.code, 'EndpointCredentialInvalid');
  t.is((await lease(live, endpointId, newCredential)).status, 200);

  // The owner revokes the new one outright.
  const revoked = await live.call('DELETE', `/v3/endpoints/${endpointId}/credential`, { token: aliceToken });
  t.deepEqual(revoked.body, { endpoint_id: endpointId, credential_revoked: true });
  t.is((await lease(live, endpointId, newCredential)).body.code, 'EndpointCredentialInvalid');
  t.deepEqual((await live.call('DELETE', `/v3/endpoints/${endpointId}/credential`, { token: aliceToken })).body, { endpoint_id: endpointId, credential_revoked: false });

  // Restarted with the owner's (new) token, the agent re-registers the same id, gets a fresh credential and works.
  const restarted = await startEndpointProcess(t, live, { home, env: { FUNCX_TOKEN: aliceToken } });
  t.is(restarted.endpointId, endpointId);
  const third = readIdentity(restarted.paths)!.credential;
  t.true(third !== newCredential && third !== oldCredential);
  const [second] = await submit(live, endpointId, fn, [[5]], { token: aliceToken });
  t.like((await waitForTasks(live, [second], 120_000, aliceToken))[second], { status: 'success', result: '15' });
});
