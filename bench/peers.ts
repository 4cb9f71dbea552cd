/**
 * `npm run bench -- peers`: funcX-TS as a new user gets it, next to the tool they
 * would otherwise pick, in one run on this machine.
 *
 * funcX-TS runs exactly as `npm start` does (funcx-service serve --local-endpoint
 * default, on its own FUNCX_HOME, SQLite, nothing tuned: every FUNCX_* variable of
 * the caller is dropped; only the port is a free one). The same no-op workload
 * (`def noop(x=None): return x`, its JavaScript twin for the TypeScript SDK) goes through
 *   - the Python client (sdk/python): batches of 1,000, wait_for_tasks, get_batch_result;
 *   - its FuncXExecutor: map over 10,000;
 *   - the TypeScript Client: batches of 1,000, waitForTasks, getBatchResult;
 *   - its Executor: map over 10,000;
 *   - Celery + Redis (Debian's python3-celery, python3-redis, redis-server): one group of
 *     every task, then its get (Celery's fastest ordinary idiom); a private
 *     redis-server on a free port and a worker with prefork concurrency 2.
 * Each also does 200 warm round trips of one task (run, wait, result). One table:
 * tasks/s, round-trip median and p99, each as a ratio to Celery's.
 *
 * FUNCX_BENCH_TASKS / FUNCX_BENCH_ROUND_TRIPS shrink the run; FUNCX_BENCH_PEERS picks
 * rows (comma-separated: python-client, python-executor, ts-client, ts-executor, celery);
 * FUNCX_BENCH_PYTHON names the Python (default /usr/bin/python3, where Debian's Celery
 * lives); FUNCX_BENCH_CPU_PROF=DIR runs the service under `node --cpu-prof` into DIR.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Executor } from '../sdk/index.js';
import { freePort } from '../test/helpers/mariadb.js';
import { childrenMatching, percentile, processTreeRss, runToEnd, spawnGroup, succeeds, type Group } from './processes.js';

const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 10_000);
const ROUND_TRIPS = Number(process.env.FUNCX_BENCH_ROUND_TRIPS ?? 200);
const BATCH = 1000;
const PYTHON = process.env.FUNCX_BENCH_PYTHON ?? (succeeds('/usr/bin/python3', ['-c', '']) ? '/usr/bin/python3' : 'python3');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON_DIR = path.join(REPO, 'bench', 'python');
const CELERY_PACKAGES = ['python3-celery', 'python3-redis', 'redis-server'];
const PEERS = new Set((process.env.FUNCX_BENCH_PEERS ?? 'python-client,python-executor,ts-client,ts-executor,celery').split(',').map((name) => name.trim()));
const CPU_PROF = process.env.FUNCX_BENCH_CPU_PROF;

interface Row {
  name: string;
  tasksPerS: number;
  roundTripsMs: number[];
}

export async function runPeersBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-peers-'));
  const groups: Group[] = [];
  const stopAll = async () => {
    for (const group of groups.splice(0).reverse()) await group.stop();
  };
  const onSignal = () => void stopAll().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: Row[] = [];
  let memory = '';
  let failureContext = () => '';
  try {
    const funcx = await startFuncxService(path.join(dir, 'home'));
    groups.push(funcx.group);
    failureContext = () => `the service's last output:\n${funcx.group.output()}`;
    console.error(`peers: funcX-TS at ${funcx.serviceUrl} (npm start defaults, FUNCX_HOME ${funcx.home}); ${TASKS} tasks per row, ${ROUND_TRIPS} round trips`);
    const pythonEnv = { ...defaultEnv(), FUNCX_HOME: funcx.home, PYTHONPATH: path.join(REPO, 'sdk', 'python'), PYTHONDONTWRITEBYTECODE: '1' };
    for (const [name, mode] of [['Python client, batch + wait_for_tasks', 'client'], ['Python FuncXExecutor.map', 'executor']] as const) {
      if (!PEERS.has(`python-${mode}`)) continue;
      console.error(`peers: ${name} ...`);
      const figures = JSON.parse(await runToEnd(PYTHON, [path.join(PYTHON_DIR, 'funcx_peer.py'), mode, String(TASKS), String(ROUND_TRIPS)], {
        env: pythonEnv, timeoutMs: 30 * 60_000,
      })) as { tasks_per_s: number; round_trips_ms: number[] };
      rows.push({ name, tasksPerS: figures.tasks_per_s, roundTripsMs: figures.round_trips_ms });
    }
    if (PEERS.has('ts-client') || PEERS.has('ts-executor')) {
      console.error('peers: TypeScript Client and Executor ...');
      rows.push(...(await typescriptRows(funcx)));
    }
    const endpoints = childrenMatching(funcx.group.child.pid!, 'funcx-endpoint');
    const endpointKiB = endpoints.reduce((sum, pid) => sum + processTreeRss(pid), 0);
    memory = `funcX-TS resident memory after the runs: service and endpoint ${(processTreeRss(funcx.group.child.pid!) / 1024).toFixed(0)} MiB, ` +
      `of which the endpoint (agent and its workers) ${(endpointKiB / 1024).toFixed(0)} MiB`;
    await stopAll();

    if (PEERS.has('celery')) {
      console.error('peers: Celery + Redis ...');
      const celery = await celeryRow(dir, groups);
      await stopAll();
      if (celery) rows.push(celery);
    }
  } catch (error) {
    console.error(failureContext());
    throw error;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  printTable(rows, memory);
}

// --- funcX-TS

interface Funcx {
  group: Group;
  home: string;
  serviceUrl: string;
  token: string;
  endpointId: string;
}

/** The caller's environment without FUNCX_* settings: the service and the SDKs run on their defaults. */
function defaultEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_')));
}

async function startFuncxService(home: string): Promise<Funcx> {
  const port = await freePort();
  const cli = path.join(REPO, 'dist', 'src', 'cli', 'funcx-service.js');
  const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : [];
  const group = spawnGroup(process.execPath, [...profile, cli, 'serve', '--local-endpoint', 'default'], {
    cwd: REPO, env: { ...defaultEnv(), FUNCX_HOME: home, FUNCX_PORT: String(port) },
  });
  try {
    await group.lineMatching(/local endpoint "default" is ([0-9a-f-]{36})/, 120_000);
  } catch (error) {
    await group.stop();
    throw error;
  }
  const quickstart = JSON.parse(readFileSync(path.join(home, 'quickstart.json'), 'utf8')) as { service_url: string; token: string; endpoint_id: string };
  return { group, home, serviceUrl: quickstart.service_url, token: quickstart.token, endpointId: quickstart.endpoint_id };
}

/** JavaScript's `def noop(x=None): return x`. */
function noop(x: unknown = null): unknown {
  return x;
}

async function typescriptRows(funcx: Funcx): Promise<Row[]> {
  const client = new Client({ serviceUrl: funcx.serviceUrl, token: funcx.token, endpointId: funcx.endpointId });
  const functionId = await client.registerFunction(noop);
  await clientThroughput(client, functionId, 20); // warm: the endpoint's JavaScript workers started
  const rows: Row[] = [];
  if (PEERS.has('ts-client')) {
    rows.push({
      name: 'TypeScript Client, batch + waitForTasks',
      tasksPerS: await clientThroughput(client, functionId, TASKS),
      roundTripsMs: await roundTrips(async (i) => {
        const taskId = await client.run(i, { functionId });
        let pending = [taskId];
        while (pending.length > 0) pending = (await client.waitForTasks(pending, { timeoutS: 30 })).pending;
        return client.getResult(taskId);
      }),
    });
  }
  if (PEERS.has('ts-executor')) {
    const executor = new Executor({ client });
    try {
      await mapThroughput(executor, 20);
      rows.push({
        name: 'TypeScript Executor.map',
        tasksPerS: await mapThroughput(executor, TASKS),
        roundTripsMs: await roundTrips((i) => executor.submit(noop, i)),
      });
    } finally {
      await executor.shutdown();
    }
  }
  return rows;
}

async function clientThroughput(client: Client, functionId: string, tasks: number): Promise<number> {
  const started = process.hrtime.bigint();
  const taskIds: string[] = [];
  for (let start = 0; start < tasks; start += BATCH) {
    const batch = client.createBatch();
    for (let i = start; i < Math.min(tasks, start + BATCH); i++) batch.add(i, { functionId });
    taskIds.push(...(await client.batchRun(batch)));
  }
  for (let start = 0; start < taskIds.length; start += BATCH) {
    const chunk = taskIds.slice(start, start + BATCH);
    let pending = chunk;
    while (pending.length > 0) pending = (await client.waitForTasks(pending, { timeoutS: 30 })).pending;
    const results = await client.getBatchResult(chunk);
    chunk.forEach((taskId, offset) => {
      if (results[taskId]?.result !== start + offset) throw new Error(`task ${taskId}: ${JSON.stringify(results[taskId])}`);
    });
  }
  return tasks / seconds(started);
}

async function mapThroughput(executor: Executor, tasks: number): Promise<number> {
  const started = process.hrtime.bigint();
  const results = await executor.map(noop, Array.from({ length: tasks }, (_, i) => i));
  if (results.some((value, i) => value !== i)) throw new Error('Executor.map: wrong results');
  return tasks / seconds(started);
}

/** ROUND_TRIPS calls of `once(i)`, one at a time, each checked to answer i; their durations in ms. */
async function roundTrips(once: (i: number) => PromiseLike<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = process.hrtime.bigint();
    if ((await once(i)) !== i) throw new Error(`round trip ${i}: wrong result`);
    samples.push(seconds(started) * 1000);
  }
  return samples;
}

// --- Celery

/** Celery + Redis, installed through apt when root and absent; undefined (with how to install) when it cannot run. */
async function celeryRow(dir: string, groups: Group[]): Promise<Row | undefined> {
  const present = () => succeeds(PYTHON, ['-c', 'import celery, redis']) && succeeds('redis-server', ['--version']);
  if (!present()) {
    if (process.getuid?.() === 0) {
      console.error(`peers: installing ${CELERY_PACKAGES.join(' ')} (apt-get)`);
      await runToEnd('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...CELERY_PACKAGES], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 20 * 60_000,
      });
    }
    if (!present()) {
      console.error(`peers: SKIPPED Celery: it needs ${PYTHON} with celery and redis, and redis-server. Install them with\n` +
        `  sudo apt-get install -y --no-install-recommends ${CELERY_PACKAGES.join(' ')}`);
      return undefined;
    }
  }
  const port = await freePort();
  const redisDir = mkdtempSync(path.join(dir, 'redis-'));
  const redis = spawnGroup('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { cwd: redisDir });
  groups.push(redis);
  await redis.lineMatching(/Ready to accept connections/, 60_000);
  const env = { ...process.env, CELERY_BROKER_URL: `redis://127.0.0.1:${port}/0`, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: PYTHON_DIR };
  const worker = spawnGroup(PYTHON, ['-m', 'celery', '-A', 'celery_peer', 'worker', '--pool', 'prefork', '--concurrency', '2', '--loglevel', 'WARNING', '--without-gossip', '--without-mingle', '--without-heartbeat'], {
    cwd: redisDir, env,
  });
  groups.push(worker);
  // The client's warm-up waits for the worker's first results: that is its readiness.
  const figures = JSON.parse(await runToEnd(PYTHON, [path.join(PYTHON_DIR, 'celery_peer.py'), 'client', String(TASKS), String(ROUND_TRIPS)], {
    cwd: redisDir, env, timeoutMs: 30 * 60_000,
  })) as { tasks_per_s: number; round_trips_ms: number[] };
  const version = (await runToEnd(PYTHON, ['-c', 'import celery; print(celery.__version__)'], { env, timeoutMs: 60_000 })).trim();
  return { name: `Celery ${version} + Redis, prefork 2, one group`, tasksPerS: figures.tasks_per_s, roundTripsMs: figures.round_trips_ms };
}

// --- the table

function printTable(rows: Row[], memory: string): void {
  const celery = rows.find((row) => row.name.startsWith('Celery'));
  const [load1, load5] = os.loadavg();
  console.log(`\npeers: ${TASKS} no-op tasks per row, ${ROUND_TRIPS} warm round trips (run, wait, result), ${os.availableParallelism()} cores, load average ${load1.toFixed(1)} / ${load5.toFixed(1)} (1 / 5 min)`);
  console.log('| | tasks/s | × Celery | round trip median | × Celery | p99 | × Celery |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const median = percentile(row.roundTripsMs, 0.5);
    const p99 = percentile(row.roundTripsMs, 0.99);
    const ratio = (value: number, base: number | undefined) => (base === undefined ? '–' : `${(value / base).toFixed(2)}`);
    console.log(`| ${row.name} | ${row.tasksPerS.toFixed(0)} | ${ratio(row.tasksPerS, celery?.tasksPerS)} | ${median.toFixed(2)} ms | ` +
      `${ratio(median, celery && percentile(celery.roundTripsMs, 0.5))} | ${p99.toFixed(2)} ms | ${ratio(p99, celery && percentile(celery.roundTripsMs, 0.99))} |`);
  }
  if (memory) console.log(memory);
  console.log('targets (issue 10): throughput >= 3 x Celery and >= 2,500 tasks/s; round-trip median <= Celery\'s; endpoint < 150 MB');
}

function seconds(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e9;
}
