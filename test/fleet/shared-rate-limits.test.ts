/**
 * Two service replicas on one database share the request budgets (table rate_limits): N
 * requests of one identity through replicas A and B together allow N, not 2N; refused
 * credentials from one address through both spend one budget, and once it is spent a good
 * token from that address is refused by the other replica too. On MariaDB (the fleet's
 * database) and on SQLite (two service processes' worth of connections on one file).
 */
import type { ExecutionContext } from 'ava';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { registerPerDatabase, type DatabaseKind } from '../helpers/databases.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';

const HOUR = '1h'; // no budget refills during a test

async function twoReplicas(t: ExecutionContext, kind: DatabaseKind, limits: Record<string, unknown>): Promise<{ a: LiveService; b: RunningService }> {
  const a = await startLiveService(t, kind, limits);
  const config = loadConfig({}, { host: '127.0.0.1', port: 0, home: `${a.database.dir}/replica-b`, databaseUrl: a.database.url, logLevel: 'silent', writeQuickstart: false, ...limits });
  const b = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => b.close());
  return { a, b };
}

async function listEndpoints(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/v3/endpoints`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

registerPerDatabase('an identity\'s budget holds across two replicas: 6 of 12 requests through A and B pass, not 12', async (t, kind) => {
  const { a, b } = await twoReplicas(t, kind, { rateLimitRequests: 6, rateLimitWindow: HOUR });
  const carol = await a.tokenFor('carol');
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push(await listEndpoints(i % 2 === 0 ? a.url : b.url, carol));
  t.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
  // At once, too: 12 more of dave's through both replicas concurrently, exactly 6 pass.
  const dave = await a.tokenFor('dave');
  const concurrent = await Promise.all(Array.from({ length: 12 }, (_, i) => listEndpoints(i % 2 === 0 ? a.url : b.url, dave)));
  t.is(concurrent.filter((s) => s === 200).length, 6, concurrent.join(' '));
  t.is(concurrent.filter((s) => s === 429).length, 6);
});

registerPerDatabase('refused credentials from one address spend one budget across replicas; then a good token waits on both', async (t, kind) => {
  const { a, b } = await twoReplicas(t, kind, { rateLimitAuthFailures: 4, rateLimitWindow: HOUR });
  const guesses: number[] = [];
  for (let i = 0; i < 6; i++) guesses.push(await listEndpoints(i % 2 === 0 ? a.url : b.url, `fxu_guess${i}`));
  t.deepEqual(guesses, [401, 401, 401, 401, 429, 429]);
  // Both replicas refused a guess, so both refuse this address now, good token or not.
  t.is(await listEndpoints(a.url, a.adminToken), 429);
  t.is(await listEndpoints(b.url, a.adminToken), 429);
});

registerPerDatabase('an address blocked through replica A is refused by replica B, which saw none of its guesses', async (t, kind) => {
  const { a, b } = await twoReplicas(t, kind, { rateLimitAuthFailures: 3, rateLimitWindow: HOUR });
  for (let i = 0; i < 3; i++) t.is(await listEndpoints(a.url, `fxu_guess${i}`), 401);
  t.is(await listEndpoints(a.url, 'fxu_guess3'), 429);
  // B reads the exhausted addresses at most once a second (when requests come): the bound is generous for a loaded machine.
  await eventually(30_000, 'replica B to refuse the blocked address', async () => (await listEndpoints(b.url, a.adminToken)) === 429);
  t.is(await listEndpoints(b.url, 'fxu_guess4'), 429, 'and its guesses, without checking them');
});
