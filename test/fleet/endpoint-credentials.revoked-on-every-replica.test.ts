/**
 * Endpoint credentials are cached per service instance under the revocation feed's bound
 * (src/registry/credentialCache.ts, CREDENTIAL_CHECK_MS): a credential revoked, rotated out or
 * whose endpoint was deleted through one replica is refused by that replica at once and by
 * another `funcx-service serve` process on the same database within the bound, though that
 * process had just accepted (and cached) it, and would otherwise trust it for
 * CREDENTIAL_CACHE_MAX_MS (minutes).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDENTIAL_CHECK_MS } from '../../src/registry/credentialCache.js';
import { registerPerDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/mariadb.js';
import { startLiveService } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';
import { registerEndpoint } from '../api/support.js';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
/** Slack for a loaded machine on top of the bound; well under the minutes a credential without expiry would stay cached. */
const SLACK_MS = 10_000;

registerPerDatabase('a revoked, rotated-out or deleted endpoint credential is refused at once by the replica that ended it and within the check bound by a second service process', async (t, kind) => {
  t.timeout(120_000);
  const a = await startLiveService(t, kind);
  const port = await freePort();
  const child = spawn(process.execPath, [SERVICE_CLI, 'serve'], {
    env: {
      PATH: process.env.PATH, FUNCX_DATABASE_URL: a.database.url, FUNCX_PORT: String(port), FUNCX_HOME: path.join(a.database.dir, 'replica-b'),
      FUNCX_WRITE_QUICKSTART: 'false', FUNCX_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('close', resolve));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const b = `http://127.0.0.1:${port}`;
  await eventually(60_000, `replica B ready (${stderr})`, async () => (await fetch(`${b}/readyz`).then((r) => r.status, () => 0)) === 200, 100);

  const heartbeatOn = async (url: string, endpointId: string, credential: string) => {
    const response = await fetch(`${url}/v3/endpoints/${endpointId}/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ total_workers: 1, idle_workers: 1, outstanding_tasks: 0, pending_tasks: 0 }),
    });
    await response.arrayBuffer();
    return response.status;
  };
  const revoked = await registerEndpoint(a, { name: 'revoked' });
  const rotated = await registerEndpoint(a, { name: 'rotated' });
  const deleted = await registerEndpoint(a, { name: 'deleted' });
  for (const e of [revoked, rotated, deleted]) {
    t.is(await heartbeatOn(b, e.endpointId, e.credential), 200, 'B accepts (and caches) the credential');
    t.is(await heartbeatOn(a.url, e.endpointId, e.credential), 200);
  }

  t.like((await a.call('DELETE', `/v3/endpoints/${revoked.endpointId}/credential`)).body, { credential_revoked: true });
  const rotation = await a.call('PUT', `/v3/endpoints/${rotated.endpointId}`, { body: { name: 'rotated', rotate_credential: true } });
  t.is(rotation.status, 200);
  const newCredential = rotation.body.credential as string;
  t.is((await a.call('DELETE', `/v3/endpoints/${deleted.endpointId}`)).status, 200);
  const endedAt = Date.now();
  for (const e of [revoked, rotated, deleted]) t.is(await heartbeatOn(a.url, e.endpointId, e.credential), 401, 'the replica that ended it refuses at once');

  for (const [what, e] of [['revoked', revoked], ['rotated-out', rotated], ['deleted endpoint\'s', deleted]] as const) {
    await eventually(CREDENTIAL_CHECK_MS + SLACK_MS, `replica B to refuse the ${what} credential`, async () => (await heartbeatOn(b, e.endpointId, e.credential)) === 401, 100);
  }
  t.log(`refused by B ${Date.now() - endedAt} ms after the changes (bound ${CREDENTIAL_CHECK_MS} ms)`);
  t.is(await heartbeatOn(b, rotated.endpointId, newCredential), 200, 'B accepts the rotated-in credential');
});
