/**
 * Local API tokens through the real `funcx-service token` commands, against two service
 * replicas on one database: a token accepted (and so cached) by both is refused by both within
 * the revocation feed's bound after `token revoke ID` (CREDENTIAL_CHECK_MS; it would otherwise
 * stay trusted for CREDENTIAL_CACHE_MAX_MS, minutes), a token from `token create --expires` by
 * both once the database's clock passes its expiry, and `token list` shows each token's state,
 * never its secret. On MariaDB (a fleet's database) and SQLite (two services on one file).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { loadConfig } from '../../src/config.js';
import { CREDENTIAL_CHECK_MS } from '../../src/registry/credentialCache.js';
import { readNow } from '../../src/db/clock.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { registerPerDatabase, type DatabaseKind } from '../helpers/databases.js';
import { startLiveService } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';

const CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
/** Slack for a loaded machine on top of the bound; far under the minutes a cached token would otherwise be trusted. */
const SLACK_MS = 10_000;

async function twoReplicas(t: ExecutionContext, kind: DatabaseKind) {
  const a = await startLiveService(t, kind);
  const config = loadConfig({}, { host: '127.0.0.1', port: 0, home: `${a.database.dir}/replica-b`, databaseUrl: a.database.url, logLevel: 'silent', writeQuickstart: false });
  const b = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => b.close());
  /** `funcx-service ARGS` on the replicas' database, as an operator would run it. */
  const cli = async (...args: string[]) => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_'))), FUNCX_HOME: `${a.database.dir}/operator`, FUNCX_DATABASE_URL: a.database.url, FUNCX_LOG_LEVEL: 'warn' };
    return promisify(execFile)(process.execPath, [CLI, ...args], { env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  };
  /** The status each replica answers for a user route with this token. */
  const statuses = async (token: string) => Promise.all([a.url, b.url].map(async (url) => {
    const response = await fetch(`${url}/v3/functions`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  }));
  return { a, cli, statuses };
}

registerPerDatabase('token revoke ID: the token both replicas had accepted is refused by both within the revocation bound; create printed that id', async (t, kind) => {
  t.timeout(120_000);
  const { cli, statuses } = await twoReplicas(t, kind);
  const created = await cli('token', 'create', '--user', 'erin', '--description', 'ci');
  t.is(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  const tokenId = /token id ([0-9a-f-]{36})/.exec(created.stderr)?.[1];
  t.truthy(tokenId, created.stderr);
  t.regex(created.stderr, /never expires/);
  t.deepEqual(await statuses(token), [200, 200]);

  const listed = JSON.parse((await cli('token', 'list', '--user', 'erin', '--json')).stdout) as Record<string, unknown>[];
  t.like(listed, [{ token_id: tokenId, identity: 'erin', description: 'ci', state: 'active', expires_at: null }]);
  t.false(JSON.stringify(listed).includes(token), 'the list never shows the secret');

  const revoked = await cli('token', 'revoke', tokenId!);
  t.is(revoked.code, 0, revoked.stderr);
  await eventually(CREDENTIAL_CHECK_MS + SLACK_MS, 'both replicas to refuse the revoked token', async () => (await statuses(token)).every((status) => status === 401), 200);
  t.deepEqual(await statuses(token), [401, 401]);
  t.like(JSON.parse((await cli('token', 'list', '--json')).stdout).find((row: { token_id: string }) => row.token_id === tokenId), { state: 'revoked' });
  t.is((await cli('token', 'revoke', tokenId!)).stdout.trim(), `token ${tokenId} already revoked`);
  const unknown = await cli('token', 'revoke', '00000000-0000-4000-8000-000000000000');
  t.is(unknown.code, 1);
  t.is((await cli('token', 'revoke', 'not-an-id')).code, 2);
});

registerPerDatabase('token create --expires: the token works on both replicas until the database clock passes its expiry, then neither accepts it', async (t, kind) => {
  const { a, cli, statuses } = await twoReplicas(t, kind);
  const created = await cli('token', 'create', '--user', 'frank', '--expires', '6s', '--json');
  t.is(created.code, 0, created.stderr);
  const { token, token_id: tokenId, expires_at: expiresAt } = JSON.parse(created.stdout) as { token: string; token_id: string; expires_at: string };
  const expiresMs = Date.parse(expiresAt);
  // Still valid by the database's clock: both accept it (skipped if this loaded machine took longer than 5 s to get here).
  const before = await statuses(token);
  if (await readNow(a.db) < expiresMs - 1000) t.deepEqual(before, [200, 200]);
  await eventually(60_000, 'the database clock to pass the expiry', async () => (await readNow(a.db)) > expiresMs);
  t.deepEqual(await statuses(token), [401, 401]);
  const row = (JSON.parse((await cli('token', 'list', '--user', 'frank', '--json')).stdout) as { token_id: string; state: string }[])[0];
  t.deepEqual([row.token_id, row.state], [tokenId, 'expired']);
  t.is((await cli('token', 'create', '--user', 'frank', '--expires', 'soon')).code, 2);
});
