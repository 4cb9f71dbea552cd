/**
 * Endpoint credentials are cached per service instance for at most CREDENTIAL_CACHE_MS
 * (src/registry/credentialCache.ts): a credential revoked through one replica is refused by
 * that replica at once and by another `funcx-service serve` process on the same database
 * within the bound, though that process had just accepted (and cached) it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDENTIAL_CACHE_MS } from '../../src/registry/credentialCache.js';
import { registerPerDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/mariadb.js';
import { startLiveService } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';
import { registerEndpoint } from '../api/support.js';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
/** Slack for a loaded machine on top of the bound; well under the minutes a credential without expiry would stay cached. */
const SLACK_MS = 10_000;

registerPerDatabase('a revoked endpoint credential is refused at once by the replica that revoked it and within the cache bound by a second service process', async (t, kind) => {
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

  const { endpointId, credential } = await registerEndpoint(a);
  const heartbeatOn = async (url: string) => {
    const response = await fetch(`${url}/v3/endpoints/${endpointId}/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ total_workers: 1, idle_workers: 1, outstanding_tasks: 0, pending_tasks: 0 }),
    });
    await response.arrayBuffer();
    return response.status;
  };
  t.is(await heartbeatOn(b), 200, 'B accepts (and caches) the credential');
  t.is(await heartbeatOn(a.url), 200);

  const revoked = await a.call('DELETE', `/v3/endpoints/${endpointId}/credential`);
  t.like(revoked.body, { credential_revoked: true });
  const revokedAt = Date.now();
  t.is(await heartbeatOn(a.url), 401, 'the replica that revoked it refuses at once');
  await eventually(CREDENTIAL_CACHE_MS + SLACK_MS, 'replica B to refuse the revoked credential', async () => (await heartbeatOn(b)) === 401, 100);
  t.log(`refused by B ${Date.now() - revokedAt} ms after the revocation (bound ${CREDENTIAL_CACHE_MS} ms)`);
});
