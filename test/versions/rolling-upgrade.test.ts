/**
 * Versions apart, as a site lives them: the previous release (built from this repository's git
 * history, test/helpers/previousRelease.ts) runs a fleet of two replicas on one MariaDB behind a
 * real HAProxy, with its own endpoint and its own SDK submitting work. The replicas are upgraded
 * one at a time to this release (each stopped with SIGTERM and started again from this tree,
 * which applies this release's migrations while the other, older replica still serves), with
 * tasks submitted and running all along; then the endpoint is upgraded too (the same
 * FUNCX_HOME and identity, this release's agent). Nothing is lost and nothing is stored twice:
 * every task the old SDK was given has one row and its own correct result, and the old endpoint
 * and the old SDK kept working against this release's replicas.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../../sdk/index.js';
import { compareVersions, versionProblem } from '../../sdk/transport/versionCompat.js';
import { packageVersion } from '../../sdk/version.js';
import { createTestDatabase, MYSQL_BASE_URL } from '../helpers/databases.js';
import { freePort } from '../helpers/mariadb.js';
import { haproxyBinary, spawnTracked, startHaproxy, statusOf, type TrackedProcess } from '../helpers/haproxy.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import type { LiveService } from '../helpers/service.js';
import { buildPreviousRelease, PREVIOUS_RELEASE, previousReleaseMissing } from '../helpers/previousRelease.js';
import { testWithRealPart } from '../helpers/realPart.js';

const THIS_SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const PER_SUBMIT = 50;
/** Submits answered in each phase (old fleet, one replica upgraded, both upgraded, endpoint upgraded). */
const SUBMITS_PER_PHASE = 6;

const missing = [
  !MYSQL_BASE_URL && 'MariaDB (FUNCX_TEST_MYSQL_URL)',
  !haproxyBinary && 'haproxy',
  previousReleaseMissing(),
].filter(Boolean);
const upgradeTest = testWithRealPart('test/versions/rolling-upgrade', missing.length > 0 ? `missing ${missing.join(' and ')}` : undefined, { requiredBy: MYSQL_BASE_URL ? undefined : 'FUNCX_TEST_REQUIRE_MARIADB' });

interface OldClient {
  registerFunction(fn: (x: number) => number): Promise<string>;
  createBatch(): { add(x: number, options: { functionId: string; endpointId: string }): void };
  batchRun(batch: unknown): Promise<string[]>;
}

upgradeTest(`a rolling upgrade from the previous release (${PREVIOUS_RELEASE.version}) to this one behind HAProxy, replicas then endpoint, with the previous SDK submitting throughout: every task run once with its own result, none lost, none stored twice`, async (t) => {
  t.timeout(600_000);
  const previous = buildPreviousRelease();
  t.not(compareVersions(packageVersion(), previous.version), undefined);
  t.true(compareVersions(packageVersion(), previous.version)! > 0, `this release (${packageVersion()}) is newer than the previous one (${previous.version})`);

  const database = await createTestDatabase('mariadb');
  t.teardown(() => database.cleanup());
  const db = database.open();
  t.teardown(() => db.destroy());

  const ports = [await freePort(), await freePort()];
  const replicaEnv = (port: number): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH, FUNCX_DATABASE_URL: database.url, FUNCX_PORT: String(port), FUNCX_HOME: path.join(database.dir, `replica-${port}`),
    FUNCX_WRITE_QUICKSTART: 'false', FUNCX_LOG_LEVEL: 'warn', FUNCX_LOG_FORMAT: 'json', FUNCX_TRUST_PROXY: 'true', FUNCX_LEASE_TIMEOUT: '5s', FUNCX_REAP_INTERVAL: '500ms',
  });
  const replicaReady = (port: number, what: string) => waitFor(async () => (await statusOf(`http://127.0.0.1:${port}/readyz`)) === 200, what, 90_000);
  const startReplica = async (cli: string, port: number, what: string): Promise<TrackedProcess> => {
    const replica = spawnTracked(t, process.execPath, [cli, 'serve'], replicaEnv(port));
    await replicaReady(port, what).catch((error: Error) => {
      throw new Error(`${error.message}\n${replica.output()}`);
    });
    return replica;
  };
  const stopReplica = async (replica: TrackedProcess) => {
    replica.child.kill('SIGTERM');
    await replica.exited;
  };

  // The previous release's fleet: the first replica migrates the database (its schema), then the second.
  const replicas = [await startReplica(previous.serviceCli, ports[0], 'old replica 0'), undefined as TrackedProcess | undefined];
  replicas[1] = await startReplica(previous.serviceCli, ports[1], 'old replica 1');
  const haproxy = await startHaproxy(t, database.dir, ports);
  // What HAProxy's replicas answer now (undefined while it has no ready replica to send to: its own error page).
  const versionThere = async (): Promise<string | undefined> => {
    const response = await fetch(`${haproxy.url}/v2/version`).catch(() => undefined);
    return response?.status === 200 ? ((await response.json()) as { version: string }).version : undefined;
  };

  const { createToken } = (await import(previous.module('src/registry/tokens.js'))) as { createToken(db: unknown, input: { identity: string }): Promise<{ token: string }> };
  const { token } = await createToken(db, { identity: 'site-user' });
  const live = { url: haproxy.url, adminToken: token, database } as unknown as LiveService;

  // The previous release's endpoint and SDK (a site and its users lag the service).
  const oldEndpointHelpers = (await import(previous.module('test/helpers/endpointProcess.js'))) as { startEndpointProcess: typeof startEndpointProcess };
  const oldEndpoint = await oldEndpointHelpers.startEndpointProcess(t, live, { config: { max_workers: 4, heartbeat_period: '1s' } });
  const { Client: OldClientClass } = (await import(previous.module('sdk/index.js'))) as { Client: new (options: object) => OldClient };
  const oldSdk = new OldClientClass({ serviceUrl: haproxy.url, token, env: {}, retry: { retries: 8, baseDelayMs: 200 } });
  const double = await oldSdk.registerFunction(function double(x: number) {
    return 2 * x;
  });
  const endpointId = oldEndpoint.endpointId;
  t.truthy(endpointId, 'the old endpoint registered');

  // Submitting all along, one batch after another; each phase waits for its share of answered submits.
  const taskIds: string[] = [];
  const submittedIn: Record<string, number> = {};
  let phase = 'old fleet';
  let answered = 0;
  let stop = false;
  const submitting = (async () => {
    while (!stop) {
      const batch = oldSdk.createBatch();
      const first = taskIds.length;
      for (let x = first; x < first + PER_SUBMIT; x++) batch.add(x, { functionId: double, endpointId });
      const ids = await oldSdk.batchRun(batch);
      taskIds.push(...ids);
      submittedIn[phase] = (submittedIn[phase] ?? 0) + ids.length;
      answered += 1;
    }
  })();
  const successes = async () => Number((await db('tasks').where({ state: 'success' }).count({ n: '*' }))[0].n);
  const nextPhase = async (name: string) => {
    const target = answered + SUBMITS_PER_PHASE;
    const done = await successes();
    await waitFor(async () => answered >= target && (await successes()) > done, `${SUBMITS_PER_PHASE} submits answered and tasks finishing (${phase})`, 180_000);
    phase = name;
  };

  await nextPhase('replica 0 upgraded');
  await stopReplica(replicas[0]!);
  replicas[0] = await startReplica(THIS_SERVICE_CLI, ports[0], 'this release on replica 0 (migrating while replica 1 serves)');
  await nextPhase('both replicas upgraded');
  await stopReplica(replicas[1]!);
  replicas[1] = await startReplica(THIS_SERVICE_CLI, ports[1], 'this release on replica 1');
  // HAProxy marks a replica up after two good health checks: wait for that, then every answer is this release's.
  await waitFor(async () => (await versionThere()) === packageVersion(), 'HAProxy to answer from this release', 30_000);
  const answers = new Set<string | undefined>();
  for (let i = 0; i < 6; i++) answers.add(await versionThere());
  t.deepEqual([...answers], [packageVersion()], 'HAProxy now reaches only this release');
  const advertised: unknown = await (await fetch(`${haproxy.url}/v2/version`)).json();
  for (const component of ['sdk', 'endpoint'] as const) {
    t.is(versionProblem(advertised, component, previous.version, 'upgrade'), undefined, `this release still serves the previous release's ${component}`);
  }
  const newFleetSince = Date.now();
  await nextPhase('endpoint upgraded');
  // The endpoint last: stopped (its held tasks go back to the queue or finish), then this release's agent on the same FUNCX_HOME.
  const endpointUpgradeAt = Date.now();
  oldEndpoint.signal('SIGTERM');
  await oldEndpoint.exited;
  const newEndpoint = await startEndpointProcess(t, live, { home: path.dirname(oldEndpoint.paths.dir), name: oldEndpoint.name, config: { max_workers: 4, heartbeat_period: '1s' } });
  t.is(newEndpoint.endpointId, endpointId, 'this release\'s agent kept the endpoint\'s identity');
  await nextPhase('done');
  stop = true;
  await submitting;
  t.log(`tasks submitted per phase: ${JSON.stringify(submittedIn)}`);
  for (const name of ['old fleet', 'replica 0 upgraded', 'both replicas upgraded', 'endpoint upgraded']) t.true((submittedIn[name] ?? 0) > 0, `the old SDK submitted during "${name}"`);

  // Collect with this release's SDK: every task, its own result.
  const client = new Client({ serviceUrl: haproxy.url, token, env: {} });
  const pending = new Set(taskIds);
  const deadline = Date.now() + 240_000;
  while (pending.size > 0 && Date.now() < deadline) {
    const answer = await client.waitForTasks([...pending].slice(0, 1000), { timeoutS: 30 });
    for (const id of Object.keys(answer.done)) pending.delete(id);
  }
  t.is(pending.size, 0, `every task finished (${pending.size} of ${taskIds.length} still pending)`);
  const results = await client.getBatchResult(taskIds);
  const wrong = taskIds.filter((id, x) => results[id]?.status !== 'success' || results[id]?.result !== 2 * x);
  t.deepEqual(wrong, [], 'every task finished with its own correct result');

  const rows: { id: string; state: string; attempts: number; attempt_history: string | null; completed_at: number | string | null }[] = await db('tasks').select('id', 'state', 'attempts', 'attempt_history', 'completed_at');
  t.is(rows.length, taskIds.length, 'exactly one row per submitted task');
  t.deepEqual(rows.map((r) => r.id).sort(), [...taskIds].sort(), 'the stored tasks are the ones the old SDK was given');
  const notOnce = rows.filter((r) => r.state !== 'success' || Number(r.attempts) !== (r.attempt_history ? (JSON.parse(r.attempt_history) as unknown[]).length : 0) + 1);
  t.deepEqual(notOnce.map((r) => ({ id: r.id, state: r.state, attempts: r.attempts })), [], 'each task: any lost attempts recorded, then one success');
  // Between the fleet's upgrade and the endpoint's, only the old endpoint ran tasks: it worked against this release's replicas.
  const finishedByOldEndpointOnNewFleet = rows.filter((r) => r.completed_at !== null && Number(r.completed_at) >= newFleetSince && Number(r.completed_at) < endpointUpgradeAt).length;
  t.true(finishedByOldEndpointOnNewFleet > 0, `the previous release's endpoint finished tasks leased from this release's replicas (${finishedByOldEndpointOnNewFleet})`);
  t.is(haproxy.child.exitCode, null, haproxy.output());
});
