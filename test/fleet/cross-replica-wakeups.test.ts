/**
 * Two service replicas on one MariaDB: a submit through replica A answers an endpoint's
 * long-poll held by replica B, and a result posted through A answers a client's wait on B,
 * through the replica relay (src/fleet/replicaRelay.ts), not the polls' fallback re-check (set
 * to ten minutes here, so without the relay both polls would come back empty). While many polls
 * wait on B, B's queries are the relay's reads: one per interval, not one per poll.
 * MariaDB only (SQLite is one process's file); skipped, and counted, without it (failed when
 * MariaDB is required: test/helpers/realPart.ts).
 */
import type { ExecutionContext } from 'ava';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { MYSQL_BASE_URL } from '../helpers/databases.js';
import { functionAndEndpoint, jsonPayload, startLiveService, type LiveService } from '../helpers/service.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { testWithRealPart } from '../helpers/realPart.js';

const TEN_MINUTES = '10m';
/** Replica B's FUNCX_REPLICA_WAKEUP_INTERVAL (set below), and how long its queries are watched. */
const RELAY_INTERVAL_MS = 25;
const WINDOW_MS = 2_000;

async function secondReplica(t: ExecutionContext, a: LiveService): Promise<RunningService> {
  const config = loadConfig({}, { port: 0, home: `${a.database.dir}/replica-b`, databaseUrl: a.database.url, logLevel: 'silent', writeQuickstart: false, pollFallbackInterval: TEN_MINUTES, replicaWakeupInterval: `${RELAY_INTERVAL_MS}ms` });
  const b = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => b.close());
  return b;
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const mariadbTest = testWithRealPart('test/fleet/cross-replica-wakeups', MYSQL_BASE_URL ? undefined : 'no MariaDB (FUNCX_TEST_MYSQL_URL); run through scripts/run-tests.js', { requiredBy: 'FUNCX_TEST_REQUIRE_MARIADB' });

mariadbTest('a submit through replica A wakes an endpoint poll on replica B; a result through A wakes a client wait on B', async (t) => {
  const a = await startLiveService(t, 'mariadb', { pollFallbackInterval: TEN_MINUTES });
  const b = await secondReplica(t, a);
  t.truthy(a.service.relay);
  t.truthy(b.relay);
  const { functionId, endpointId, credential } = await functionAndEndpoint(a);

  const leasing = post(`${b.url}/v3/endpoints/${endpointId}/lease`, credential, { max_tasks: 1, wait_s: 20 });
  await waitFor(() => b.deps.wakeups.size > 0, 'the poll to wait on replica B');
  const submitted = await a.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId]: [jsonPayload(21)] } } });
  t.is(submitted.status, 200);
  const taskId = submitted.body.tasks[functionId][0] as string;
  const lease = await leasing;
  t.is(lease.status, 200);
  t.deepEqual(lease.body.tasks.map((task: { task_id: string }) => task.task_id), [taskId]);

  const waiting = post(`${b.url}/v3/tasks/wait`, a.adminToken, { task_ids: [taskId], timeout_s: 20 });
  await waitFor(() => b.deps.wakeups.size > 0, 'the client to wait on replica B');
  const posted = await a.call('POST', `/v3/endpoints/${endpointId}/results`, {
    token: credential,
    body: { results: [{ task_id: taskId, lease_token: lease.body.tasks[0].lease_token, status: 'success', result: '42', result_serializer: 'json' }] },
  });
  t.is(posted.status, 200);
  const waited = await waiting;
  t.is(waited.status, 200);
  t.deepEqual(Object.keys(waited.body.done), [taskId]);
  t.is(waited.body.done[taskId].result, '42');
});

mariadbTest("polls waiting on a replica cost its database the relay's reads, not a query per poll", async (t) => {
  const a = await startLiveService(t, 'mariadb', { pollFallbackInterval: TEN_MINUTES });
  const b = await secondReplica(t, a);
  const endpoints = await Promise.all(Array.from({ length: 40 }, () => functionAndEndpoint(a)));
  const polls = endpoints.map(({ endpointId, credential }) => post(`${b.url}/v3/endpoints/${endpointId}/lease`, credential, { max_tasks: 1, wait_s: 20 }));
  // Each poll listens on three keys: its queue, its agent asking it to end (src/http/leasePollEnd.ts),
  // and its own (a submit on B that hands it tasks wakes it alone: src/http/waitingLeasePolls.ts).
  await waitFor(() => b.deps.wakeups.size === 3 * endpoints.length, 'every poll to wait on replica B');

  // Measured from outside the relay (not by its own counter): every query B's pool runs over a
  // window, sorted by what it reads. The relay reads wakeup_events at most once per interval (it
  // waits an interval after each read ends), so a window of W ms holds at most W / interval + 1
  // of them however many polls wait; the window's length is the measure, not a wait for an event.
  const relayReads: string[] = [];
  const otherQueries: string[] = [];
  const sort = (query: { sql: string }) => (/\bwakeup_events\b/.test(query.sql) && /^select/i.test(query.sql) ? relayReads : otherQueries).push(query.sql);
  const started = performance.now();
  b.deps.db.on('query', sort);
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  b.deps.db.off('query', sort);
  const elapsed = performance.now() - started;
  t.true(relayReads.length >= 1, 'the relay read wakeup_events during the window');
  t.true(relayReads.length <= Math.floor(elapsed / RELAY_INTERVAL_MS) + 1, `${relayReads.length} reads of wakeup_events in ${Math.round(elapsed)} ms at one per ${RELAY_INTERVAL_MS} ms while ${endpoints.length} polls waited`);
  // Besides the relay: the maintenance tick's few statements (a purge, a reaper run of BEGIN, read
  // and COMMIT, the actions' deadlines) and the relay's presence row, never a query per waiting
  // poll: a quarter of the polls is far above the first and far below the second.
  t.true(otherQueries.length <= endpoints.length / 4, `${otherQueries.length} other queries while ${endpoints.length} polls waited: ${otherQueries.slice(0, 8).join(' | ')}`);

  // Each poll is still answered by work submitted through the other replica.
  const { endpointId, functionId } = endpoints[7];
  await a.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId]: [jsonPayload(1)] } } });
  t.is((await polls[7]).body.tasks.length, 1);
  await b.close(); // answers the other polls at once
  await Promise.all(polls);
});
