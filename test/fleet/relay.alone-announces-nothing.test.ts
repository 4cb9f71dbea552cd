/**
 * The replica relay (src/fleet/replicaRelay.ts) writes wake-ups to the shared database only
 * when another replica is there to read them: a replica alone wakes its own polls in-process,
 * and its submits and results cost no wakeup_events row (one statement and commit fewer per
 * request). A replica that starts later is still woken by the relay, even for a submit made
 * before the first replica read that the second one is there.
 * MariaDB only (SQLite is one process's file); skipped, and counted, without it.
 */
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { ALONE_READ_MS } from '../../src/fleet/replicaRelay.js';
import { MYSQL_BASE_URL } from '../helpers/databases.js';
import { functionAndEndpoint, jsonPayload, startLiveService } from '../helpers/service.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { testWithRealPart } from '../helpers/realPart.js';

const mariadbTest = testWithRealPart('test/fleet/relay.alone-announces-nothing', MYSQL_BASE_URL ? undefined : 'no MariaDB (FUNCX_TEST_MYSQL_URL); run through scripts/run-tests.js', { requiredBy: 'FUNCX_TEST_REQUIRE_MARIADB' });

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

mariadbTest('a replica alone writes no wake-up rows for its submits and results, only its presence; its own polls are still woken at once', async (t) => {
  const a = await startLiveService(t, 'mariadb', { pollFallbackInterval: '10m', replicaWakeupInterval: '25ms' });
  t.false(a.service.relay!.peers);
  const { functionId, endpointId, credential } = await functionAndEndpoint(a);
  for (let i = 0; i < 5; i++) {
    const leasing = post(`${a.url}/v3/endpoints/${endpointId}/lease`, credential, { max_tasks: 1, wait_s: 20 });
    await waitFor(() => a.service.deps.wakeups.size > 0, 'the poll to wait');
    const submitted = await a.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId]: [jsonPayload(i)] } } });
    const lease = await leasing;
    t.is(lease.body.tasks.length, 1, 'woken in-process (the fallback re-check is ten minutes away)');
    const taskId = submitted.body.tasks[functionId][0];
    const posted = await a.call('POST', `/v3/endpoints/${endpointId}/results`, {
      token: credential,
      body: { results: [{ task_id: taskId, lease_token: lease.body.tasks[0].lease_token, status: 'success', result: '1', result_serializer: 'json' }] },
    });
    t.is(posted.status, 200);
    await waitFor(() => a.service.deps.wakeups.size === 0, 'the poll to end');
  }
  const rows: { wake_keys: string }[] = await a.service.deps.db('wakeup_events').select('wake_keys');
  t.true(rows.length >= 1, 'the presence row');
  t.deepEqual(rows.filter((row) => row.wake_keys !== '[]'), []);
});

mariadbTest('a poll on a replica that just started is woken by a submit through the other one made before it knew of the newcomer', async (t) => {
  // A reads the relay table once at start, then only every ten seconds: it learns of B late.
  const a = await startLiveService(t, 'mariadb', { pollFallbackInterval: '10m', replicaWakeupInterval: '10s' });
  const { functionId, endpointId, credential } = await functionAndEndpoint(a);
  const config = loadConfig({}, { port: 0, home: `${a.database.dir}/replica-b`, databaseUrl: a.database.url, logLevel: 'silent', writeQuickstart: false, pollFallbackInterval: '10m', replicaWakeupInterval: '25ms' });
  const b = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => b.close());
  t.true(b.relay!.peers, 'B saw A\'s presence at start');

  const leasing = post(`${b.url}/v3/endpoints/${endpointId}/lease`, credential, { max_tasks: 1, wait_s: 40 });
  await waitFor(() => b.deps.wakeups.size > 0, 'the poll to wait on replica B');
  t.false(a.service.relay!.peers, 'A has not read B\'s presence yet');
  const submitted = await a.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId]: [jsonPayload(3)] } } });
  // The poll would also find the task at the end of its wait (its last look), so the relay's
  // part is checked where it shows: A announces the key it held back once it reads B's presence.
  const announced = async () => {
    const rows: { origin: string; wake_keys: string }[] = await a.service.deps.db('wakeup_events').select('origin', 'wake_keys');
    return rows.some((row) => row.origin === a.service.relay!.origin && (JSON.parse(row.wake_keys) as string[]).includes(`endpoint:${endpointId}`));
  };
  t.false(await announced());
  await waitFor(announced, 'A to announce the submit\'s wake-up once it knows of B');
  t.true(a.service.relay!.peers);
  const lease = await leasing;
  t.is(lease.status, 200);
  t.deepEqual(lease.body.tasks.map((task: { task_id: string }) => task.task_id), submitted.body.tasks[functionId]);
});

mariadbTest('a replica alone reads the relay table once a second, not every interval; with a peer, every interval again', async (t) => {
  const a = await startLiveService(t, 'mariadb', { pollFallbackInterval: '10m', replicaWakeupInterval: '25ms' });
  // Counted from outside the relay: A's reads of wakeup_events over a window. The window's length
  // is the measure (a rate), not a wait for an event; a slow machine only makes fewer reads.
  const readsOver = async (ms: number) => {
    let reads = 0;
    const count = (query: { sql: string }) => {
      if (/\bwakeup_events\b/.test(query.sql) && /^select/i.test(query.sql)) reads += 1;
    };
    const started = performance.now();
    a.service.deps.db.on('query', count);
    await new Promise((resolve) => setTimeout(resolve, ms));
    a.service.deps.db.off('query', count);
    return { reads, elapsed: performance.now() - started };
  };
  const alone = await readsOver(2_500);
  t.true(alone.reads <= Math.floor(alone.elapsed / ALONE_READ_MS) + 1, `${alone.reads} reads in ${Math.round(alone.elapsed)} ms alone (every 25 ms would be about 100)`);

  const config = loadConfig({}, { port: 0, home: `${a.database.dir}/replica-b`, databaseUrl: a.database.url, logLevel: 'silent', writeQuickstart: false, pollFallbackInterval: '10m', replicaWakeupInterval: '25ms' });
  const b = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => b.close());
  await waitFor(() => a.service.relay!.peers, 'A to read B\'s presence', 10_000);
  const paired = await readsOver(1_000);
  t.true(paired.reads > Math.floor(paired.elapsed / ALONE_READ_MS) + 1, `${paired.reads} reads in ${Math.round(paired.elapsed)} ms with a peer: every interval again`);
});
