/**
 * The fleet as deployed: two `funcx-service serve` processes on one MariaDB behind a real
 * HAProxy (config generated here, health checks on /readyz), a real endpoint process and an
 * SDK client that talk only to HAProxy. 5,000 tasks; one replica is SIGKILLed while they run
 * and started again. Every result is correct, no task is lost, none is stored twice (one row
 * per task, each finished once, with its result).
 * Needs MariaDB (scripts/run-tests.js starts one) and haproxy (Debian's; .ci/run installs it):
 * skipped, loudly, without them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { Client } from '../../sdk/index.js';
import { createToken } from '../../src/registry/tokens.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createTestDatabase, MYSQL_BASE_URL } from '../helpers/databases.js';
import { findBinary, freePort } from '../helpers/mariadb.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import type { LiveService } from '../helpers/service.js';
import { testWithRealPart } from '../helpers/realPart.js';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const TASKS = 5000;
const haproxyBinary = findBinary('haproxy');
const missing = [!MYSQL_BASE_URL && 'MariaDB (FUNCX_TEST_MYSQL_URL)', !haproxyBinary && 'haproxy'].filter(Boolean);
const fleetTest = testWithRealPart('test/fleet/haproxy.kill-replica', missing.length > 0 ? `missing ${missing.join(' and ')}` : undefined, { requiredBy: MYSQL_BASE_URL ? undefined : 'FUNCX_TEST_REQUIRE_MARIADB' });

function spawnTracked(t: ExecutionContext, command: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<unknown>; output: () => string } {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('close', resolve));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited, output: () => output };
}

fleetTest('5,000 tasks through HAProxy with one of two replicas SIGKILLed and restarted: every result correct, none lost, none stored twice', async (t) => {
  t.timeout(170_000);
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

  const front = await freePort();
  const cfg = path.join(database.dir, 'haproxy.cfg');
  writeFileSync(cfg, [
    'global', '    maxconn 4000',
    'defaults', '    mode http', '    timeout connect 2s', '    timeout client 90s', '    timeout server 90s',
    '    retries 3', '    option redispatch', '    retry-on conn-failure empty-response response-timeout',
    `frontend funcx`, `    bind 127.0.0.1:${front}`, '    default_backend replicas',
    'backend replicas', '    balance roundrobin', '    option httpchk GET /readyz', '    http-check expect status 200',
    ...ports.map((port, i) => `    server r${i} 127.0.0.1:${port} check inter 200ms fall 1 rise 2`),
    '',
  ].join('\n'));
  const haproxy = spawnTracked(t, haproxyBinary!, ['-db', '-f', cfg], { PATH: process.env.PATH });
  const url = `http://127.0.0.1:${front}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200, 'HAProxy and a ready replica', 60_000);

  // The endpoint and the client know only HAProxy's address.
  const live = { url, adminToken: token, database } as unknown as LiveService;
  await startEndpointProcess(t, live, { config: { max_workers: 4, heartbeat_period: '1s' } });
  const fxc = new Client({ serviceUrl: url, token, env: {} });
  const double = await fxc.registerFunction(function double(x: number) {
    return 2 * x;
  });
  const endpointId = (await db('endpoints').first('id')).id as string;

  const taskIds: string[] = [];
  for (let start = 0; start < TASKS; start += 1000) {
    const batch = fxc.createBatch();
    for (let x = start; x < start + 1000; x++) batch.add(x, { functionId: double, endpointId });
    taskIds.push(...(await fxc.batchRun(batch)));
  }
  // Mid-run: kill replica 0 outright, then bring it back on its port.
  await waitFor(async () => Number((await db('tasks').where({ state: 'success' }).count({ n: '*' }))[0].n) >= TASKS / 5, 'a fifth of the tasks to finish', 120_000);
  replicas[0].child.kill('SIGKILL');
  await replicas[0].exited;
  await waitFor(async () => Number((await db('tasks').where({ state: 'success' }).count({ n: '*' }))[0].n) >= TASKS / 2, 'half of the tasks to finish with one replica', 120_000);
  startReplica(ports[0]);

  const pending = new Set(taskIds);
  while (pending.size > 0) {
    const ids = [...pending].slice(0, 1000);
    const answer = await fxc.waitForTasks(ids, { timeoutS: 30 });
    for (const id of Object.keys(answer.done)) pending.delete(id);
  }
  const results = await fxc.getBatchResult(taskIds);
  const wrong = taskIds.filter((id, x) => results[id].status !== 'success' || results[id].result !== 2 * x);
  t.deepEqual(wrong, [], 'every task finished with its own correct result');

  const rows: { id: string; state: string; attempts: number }[] = await db('tasks').select('id', 'state', 'attempts');
  t.is(rows.length, TASKS, 'one row per task: nothing submitted twice by retried requests');
  t.is(new Set(rows.map((r) => r.id)).size, TASKS);
  t.true(rows.every((r) => r.state === 'success'));
  t.log(`tasks run more than once (a lease lost with the killed replica's answer): ${rows.filter((r) => r.attempts > 1).length}`);
  t.is(haproxy.child.exitCode, null, haproxy.output());
});
