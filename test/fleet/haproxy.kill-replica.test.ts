/**
 * The fleet as deployed: two `funcx-service serve` processes on one MariaDB behind a real
 * HAProxy (config generated here, health checks on /readyz), a real endpoint process and an
 * SDK client that talk only to HAProxy. 5,000 tasks submitted in 50 requests by two clients at
 * once; one replica is SIGKILLed while they are still being submitted (and run) and started
 * again. The client reaches HAProxy through a TCP proxy (test/helpers/tcpProxy.ts) that loses
 * the first submit answer after the kill, so at least one submit the service carried out is
 * retried by the SDK with the same Idempotency-Key. Every result is correct, no task is lost,
 * none is stored twice (exactly 5,000 rows), each finished exactly once (its attempts are its
 * recorded lost attempts plus the one that finished), and the restarted replica serves.
 * Needs MariaDB (scripts/run-tests.js starts one) and haproxy (Debian's; .ci/run installs it):
 * skipped, loudly, without them (failed under FUNCX_TEST_REQUIRE_ALL: test/helpers/realPart.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../../sdk/index.js';
import { createToken } from '../../src/registry/tokens.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createTestDatabase, MYSQL_BASE_URL } from '../helpers/databases.js';
import { freePort } from '../helpers/mariadb.js';
import { haproxyBinary, spawnTracked, startHaproxy, statusOf } from '../helpers/haproxy.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import type { LiveService } from '../helpers/service.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { testWithRealPart } from '../helpers/realPart.js';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const TASKS = 5000;
const PER_SUBMIT = 100;
/** The replica is killed once this many submits were answered (of TASKS / PER_SUBMIT). */
const KILL_AFTER_SUBMITS = 15;
const missing = [!MYSQL_BASE_URL && 'MariaDB (FUNCX_TEST_MYSQL_URL)', !haproxyBinary && 'haproxy'].filter(Boolean);
const fleetTest = testWithRealPart('test/fleet/haproxy.kill-replica', missing.length > 0 ? `missing ${missing.join(' and ')}` : undefined, { requiredBy: MYSQL_BASE_URL ? undefined : 'FUNCX_TEST_REQUIRE_MARIADB' });

fleetTest('5,000 tasks through HAProxy, submitted across a SIGKILL of one of two replicas (a lost submit answer retried with its key), the replica restarted and serving: every result correct, none lost, none stored twice, each finished once', async (t) => {
  t.timeout(240_000);
  const database = await createTestDatabase('mariadb');
  t.teardown(() => database.cleanup());
  const db = database.open();
  await migrateLatest(db); // once, before the replicas (as deploy/ does)
  const { token } = await createToken(db, { identity: 'fleet-user' });

  const ports = [await freePort(), await freePort()];
  const replicaEnv = (port: number): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH, FUNCX_DATABASE_URL: database.url, FUNCX_PORT: String(port), FUNCX_HOME: path.join(database.dir, `replica-${port}`),
    FUNCX_WRITE_QUICKSTART: 'false', FUNCX_LOG_LEVEL: 'warn', FUNCX_LOG_FORMAT: 'json', FUNCX_TRUST_PROXY: 'true', FUNCX_LEASE_TIMEOUT: '5s', FUNCX_REAP_INTERVAL: '500ms',
  });
  const startReplica = (port: number) => spawnTracked(t, process.execPath, [SERVICE_CLI, 'serve'], replicaEnv(port));
  const replicas = ports.map(startReplica);

  const haproxy = await startHaproxy(t, database.dir, ports);
  const url = haproxy.url;

  // The endpoint knows only HAProxy's address; the client reaches it through a proxy that can lose an answer.
  const live = { url, adminToken: token, database } as unknown as LiveService;
  await startEndpointProcess(t, live, { config: { max_workers: 4, heartbeat_period: '1s' } });
  const clientSide = await startTcpProxy(t, url);
  const fxc = new Client({ serviceUrl: clientSide.url, token, env: {}, retry: { retries: 8, baseDelayMs: 200 } });
  const double = await fxc.registerFunction(function double(x: number) {
    return 2 * x;
  });
  const endpointId = (await db('endpoints').first('id')).id as string;

  // Two clients' worth of submits at once, 100 tasks each; the kill lands while they go on.
  const taskIds: string[] = new Array(TASKS);
  let answered = 0;
  let killed!: () => void;
  const killTime = new Promise<void>((resolve) => (killed = resolve));
  const submitOne = async (first: number) => {
    const batch = fxc.createBatch();
    for (let x = first; x < first + PER_SUBMIT; x++) batch.add(x, { functionId: double, endpointId });
    const ids = await fxc.batchRun(batch);
    ids.forEach((id, i) => (taskIds[first + i] = id));
    answered += 1;
    if (answered === KILL_AFTER_SUBMITS) killed();
  };
  const submitter = async (lane: number) => {
    for (let first = lane * PER_SUBMIT; first < TASKS; first += 2 * PER_SUBMIT) await submitOne(first);
  };
  const submitting = Promise.all([submitter(0), submitter(1)]);
  await killTime;
  replicas[0].child.kill('SIGKILL');
  // The next submit answer is lost on its way to the client after the service stored it: the SDK must retry it with its key.
  clientSide.dropAnswerWhen = /^HTTP\/1\.1 200 /;
  const sentAtKill = fxc.http.sent.get('POST /v3/submit') ?? 0;
  await replicas[0].exited;
  await submitting;
  const submitsSent = fxc.http.sent.get('POST /v3/submit') ?? 0;
  t.true(answered - KILL_AFTER_SUBMITS >= 10, `submits went on after the kill (${answered - KILL_AFTER_SUBMITS} of ${TASKS / PER_SUBMIT})`);
  await clientSide.dropped;
  t.true(submitsSent > TASKS / PER_SUBMIT, `${submitsSent} submit requests for ${TASKS / PER_SUBMIT} submits: at least one was retried (${submitsSent - sentAtKill} sent after the kill)`);

  await waitFor(async () => Number((await db('tasks').where({ state: 'success' }).count({ n: '*' }))[0].n) >= TASKS / 2, 'half of the tasks to finish with one replica', 120_000);
  const restarted = startReplica(ports[0]);
  // The restarted replica must serve on its own: ready, and answering an API call about a task.
  await waitFor(async () => (await statusOf(`http://127.0.0.1:${ports[0]}/readyz`)) === 200, 'the restarted replica to be ready', 60_000);
  const direct = await fetch(`http://127.0.0.1:${ports[0]}/v2/tasks/${taskIds[0]}`, { headers: { authorization: `Bearer ${token}` } });
  t.is(direct.status, 200, 'the restarted replica answers an API call');

  const pending = new Set(taskIds);
  while (pending.size > 0) {
    const ids = [...pending].slice(0, 1000);
    const answer = await fxc.waitForTasks(ids, { timeoutS: 30 });
    for (const id of Object.keys(answer.done)) pending.delete(id);
  }
  const results = await fxc.getBatchResult(taskIds);
  const wrong = taskIds.filter((id, x) => results[id].status !== 'success' || results[id].result !== 2 * x);
  t.deepEqual(wrong, [], 'every task finished with its own correct result');

  const rows: { id: string; state: string; attempts: number; attempt_history: string | null; result: string | null }[] = await db('tasks').select('id', 'state', 'attempts', 'attempt_history', 'result');
  t.is(rows.length, TASKS, 'exactly one row per submitted task: no retried submit stored its tasks twice');
  t.deepEqual(rows.map((r) => r.id).sort(), [...taskIds].sort(), 'the stored tasks are the ones the client was given');
  // Finished exactly once: every attempt but the last is a recorded loss (lease lost with the killed replica), the last gave the result.
  const notOnce = rows.filter((r) => r.state !== 'success' || r.result === null || Number(r.attempts) !== (r.attempt_history ? (JSON.parse(r.attempt_history) as unknown[]).length : 0) + 1);
  t.deepEqual(notOnce.map((r) => ({ id: r.id, state: r.state, attempts: r.attempts, history: r.attempt_history })), [], 'each task: lost attempts recorded, then one success');
  t.log(`submit requests: ${submitsSent} for ${TASKS / PER_SUBMIT} submits; tasks run more than once (a lease lost with the killed replica): ${rows.filter((r) => r.attempts > 1).length}`);
  t.is(restarted.child.exitCode, null, `the restarted replica still runs: ${restarted.output()}`);
  t.is(haproxy.child.exitCode, null, haproxy.output());
});
