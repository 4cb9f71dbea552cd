/**
 * `npm run bench -- scaling`: how the cost grows as the work grows, on SQLite and
 * on MariaDB (a private server, when mariadbd is installed).
 *   - workers: no-op Python tasks/s through the service and one local endpoint
 *     with 1, 2, 4 and 8 workers (its default configuration otherwise);
 *   - batch size: the same with 4 workers, submitted 1, 10, 100 and 1,000 per request;
 *   - backlog: the ledger's submit, lease and complete rates (batches of 500,
 *     through the ledger functions) with 10,000, 100,000 and 1,000,000 tasks queued.
 * Prints a table per curve and writes docs/bench/scaling-{workers,batch,backlog}.svg.
 *
 * Smaller runs: FUNCX_BENCH_SCALING_TASKS (tasks per workers/batch point, default
 * 2,000), FUNCX_BENCH_WORKERS=1,2,4,8, FUNCX_BENCH_BATCHES=1,10,100,1000,
 * FUNCX_BENCH_BACKLOGS=10000,100000,1000000, FUNCX_BENCH_BACKLOG_WINDOW (tasks
 * measured per backlog point, default 10,000), FUNCX_BENCH_DATABASES=sqlite,mariadb,
 * FUNCX_BENCH_CURVES=workers,batch,backlog, FUNCX_BENCH_SVG_DIR (default docs/bench).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { openDatabase } from '../src/db/connect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { submitTasks } from '../src/ledger/submitTasks.js';
import { leaseTasks, type LeasedTask } from '../src/ledger/leaseTasks.js';
import { completeTasks } from '../src/ledger/completeTasks.js';
import { registerFunction } from '../src/registry/functions.js';
import { registerEndpoint } from '../src/registry/endpoints.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { waitForSuccess, type BenchCall } from './waitForSuccess.js';
import { startService, type RunningService } from '../src/service.js';
import { configTemplate } from '../endpoint/config.js';
import { endpointPaths } from '../endpoint/paths.js';
import { readIdentity } from '../endpoint/identity.js';
import { findBinary, startMariaDb } from '../test/helpers/mariadb.js';
import { spawnGroup } from './processes.js';
import { lineChart, type Series } from './svgChart.js';

const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((item) => item.trim()).filter(Boolean);
const numbers = (name: string, fallback: string) => list(name, fallback).map(Number);
const TASKS = Number(process.env.FUNCX_BENCH_SCALING_TASKS ?? 2000);
const WORKERS = numbers('FUNCX_BENCH_WORKERS', '1,2,4,8');
const BATCHES = numbers('FUNCX_BENCH_BATCHES', '1,10,100,1000');
const BACKLOGS = numbers('FUNCX_BENCH_BACKLOGS', '10000,100000,1000000');
const WINDOW = Number(process.env.FUNCX_BENCH_BACKLOG_WINDOW ?? 10_000);
const DATABASES = list('FUNCX_BENCH_DATABASES', 'sqlite,mariadb').map((name) => name.toLowerCase());
const CURVES = new Set(list('FUNCX_BENCH_CURVES', 'workers,batch,backlog'));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SVG_DIR = path.resolve(REPO, process.env.FUNCX_BENCH_SVG_DIR ?? 'docs/bench');
const LEDGER_BATCH = 500;
const BATCH_CURVE_WORKERS = 4;

interface DatabaseFigures {
  name: string;
  /** tasks/s per entry of WORKERS */
  workers: (number | undefined)[];
  /** tasks/s per entry of BATCHES */
  batch: (number | undefined)[];
  /** per entry of BACKLOGS */
  backlog: ({ submit: number; lease: number; complete: number } | undefined)[];
}

export async function runScalingBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-scaling-'));
  const figures: DatabaseFigures[] = [];
  try {
    if (DATABASES.includes('sqlite')) {
      figures.push(await measureDatabase('SQLite', `sqlite://${path.join(dir, 'scaling.sqlite3')}`, `sqlite://${path.join(dir, 'backlog.sqlite3')}`, dir));
    }
    if (DATABASES.includes('mariadb')) {
      if (!findBinary('mariadbd')) {
        console.log('scaling: MariaDB SKIPPED (mariadbd is not installed: apt-get install -y mariadb-server)');
      } else {
        const server = await startMariaDb();
        try {
          const admin = openDatabase(server.url, { poolMax: 2 });
          for (const name of ['scaling', 'backlog']) await admin.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
          await admin.destroy();
          figures.push(await measureDatabase('MariaDB', `${server.url}scaling`, `${server.url}backlog`, dir));
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report(figures);
}

async function measureDatabase(name: string, serviceUrl: string, backlogUrl: string, dir: string): Promise<DatabaseFigures> {
  const figures: DatabaseFigures = { name, workers: [], batch: [], backlog: [] };
  if (CURVES.has('workers') || CURVES.has('batch')) {
    const home = mkdtempSync(path.join(dir, 'home-'));
    const service = await startService(loadConfig({}, { port: 0, home, databaseUrl: serviceUrl, logLevel: 'silent' }), { logger: createLogger('silent') });
    try {
      const api = apiOf(service);
      const functionId = (await api('POST', '/v3/functions', { runtime: 'python', source: 'def noop(x=None):\n    return x\n', entry_point: 'noop' })).function_uuid as string;
      // The batch curve runs on the 4-worker endpoint, while it is up.
      const counts = CURVES.has('workers') ? WORKERS : [];
      const needBatch = CURVES.has('batch');
      for (const workers of [...new Set([...counts, ...(needBatch ? [BATCH_CURVE_WORKERS] : [])])]) {
        await withEndpoint(service, dir, `${name.toLowerCase()}-w${workers}`, workers, async (endpointId) => {
          const run = (tasks: number, batch: number) => throughput(api, functionId, endpointId, tasks, batch);
          await run(4 * workers, 1000); // warm: every worker started
          if (counts.includes(workers)) {
            const rate = await run(TASKS, 1000);
            figures.workers[WORKERS.indexOf(workers)] = rate;
            console.error(`scaling: ${name}, ${workers} worker(s): ${rate.toFixed(0)} tasks/s`);
          }
          if (needBatch && workers === BATCH_CURVE_WORKERS) {
            for (const [i, batch] of BATCHES.entries()) {
              figures.batch[i] = await run(TASKS, batch);
              console.error(`scaling: ${name}, batches of ${batch}: ${figures.batch[i]!.toFixed(0)} tasks/s`);
            }
          }
        });
      }
    } finally {
      await service.close();
    }
  }
  if (CURVES.has('backlog')) figures.backlog = await backlogCurve(name, backlogUrl);
  return figures;
}

// --- end to end

type Api = BenchCall;

function apiOf(service: RunningService): Api {
  const token = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
  return async (method, urlPath, body) => {
    const response = await fetch(service.url + urlPath, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = await response.json();
    if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${JSON.stringify(parsed)}`);
    return parsed;
  };
}

/** A local endpoint with `workers` workers and otherwise its default configuration, for the duration of `work`. */
async function withEndpoint(service: RunningService, dir: string, name: string, workers: number, work: (endpointId: string) => Promise<void>): Promise<void> {
  const home = path.join(dir, 'endpoints');
  const paths = endpointPaths(name, home);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({
    ...YAML.parse(configTemplate({ name, serviceUrl: service.url, maxWorkers: workers })),
    log_level: 'warn',
  }));
  const token = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
  const cli = path.join(REPO, 'dist', 'endpoint', 'cli', 'funcx-endpoint.js');
  const endpoint = spawnGroup(process.execPath, [cli, 'start', name], { env: { ...process.env, FUNCX_HOME: home, FUNCX_TOKEN: token } });
  try {
    await endpoint.lineMatching(/running as ([0-9a-f-]{36})/, 120_000).catch(() => undefined);
    const identity = readIdentity(paths);
    if (!identity) throw new Error(`endpoint ${name} did not start:\n${endpoint.output()}`);
    await work(identity.endpoint_id);
  } finally {
    await endpoint.stop();
  }
}

/** Submits `tasks` no-op tasks in requests of `batch`, waits for all; tasks/s. */
async function throughput(api: Api, functionId: string, endpointId: string, tasks: number, batch: number): Promise<number> {
  const started = process.hrtime.bigint();
  const ids: string[] = [];
  for (let sent = 0; sent < tasks; sent += batch) {
    const payloads = Array.from({ length: Math.min(batch, tasks - sent) }, (_, i) => JSON.stringify({ args: [sent + i], kwargs: {} }));
    ids.push(...(await api('POST', `/v3/endpoints/${endpointId}/submit`, { tasks: { [functionId]: payloads } })).tasks[functionId]);
  }
  await waitForSuccess(api, ids);
  return tasks / (Number(process.hrtime.bigint() - started) / 1e9);
}

// --- the ledger under a backlog

/**
 * Fills the queue to each backlog size (through submitTasks, 1,000 per call), then
 * measures WINDOW tasks at its head: submit, lease, complete. The queue is topped up
 * after each window, so every point has its backlog waiting; finished tasks stay in
 * the table, as they do until purged.
 */
async function backlogCurve(name: string, url: string): Promise<DatabaseFigures['backlog']> {
  const db = openDatabase(url, { poolMax: 10 });
  const points: DatabaseFigures['backlog'] = [];
  try {
    await migrateLatest(db);
    const owner = { kind: 'user' as const, id: 'bench', groups: [] };
    const functionId = await registerFunction(db, owner.id, { runtime: 'python', source: 'def noop(x=None):\n    return x\n', entry_point: 'noop' });
    const { endpoint_id: endpointId } = await registerEndpoint(db, owner, { name: 'backlog' });
    const task = { functionId, endpointId, payload: JSON.stringify({ args: [], kwargs: {} }), serializer: 'json' as const };
    const submit = async (count: number, per: number) => {
      for (let sent = 0; sent < count; sent += per) await submitTasks(db, { submitter: owner.id, tasks: Array(Math.min(per, count - sent)).fill(task) });
    };
    let queued = 0;
    for (const [i, backlog] of BACKLOGS.entries()) {
      const filling = process.hrtime.bigint();
      await submit(backlog - queued, 1000);
      queued = backlog;
      console.error(`scaling: ${name}, backlog filled to ${backlog} in ${seconds(filling).toFixed(0)} s`);
      const t0 = process.hrtime.bigint();
      await submit(WINDOW, LEDGER_BATCH);
      const submitRate = WINDOW / seconds(t0);
      queued += WINDOW;
      const t1 = process.hrtime.bigint();
      const leased: LeasedTask[][] = [];
      for (let taken = 0; taken < WINDOW; ) {
        const batch = await leaseTasks(db, { endpointId, maxTasks: Math.min(LEDGER_BATCH, WINDOW - taken), leaseMs: 3_600_000 });
        if (batch.length === 0) throw new Error('the queue ran dry');
        leased.push(batch);
        taken += batch.length;
      }
      const leaseRate = WINDOW / seconds(t1);
      queued -= WINDOW;
      const t2 = process.hrtime.bigint();
      for (const batch of leased) {
        await completeTasks(db, {
          endpointId, maxResultBytes: 1 << 20, maxRetries: 3,
          results: batch.map((t) => ({ task_id: t.taskId, lease_token: t.leaseToken, status: 'success' as const, result: 'null', result_serializer: 'json' as const })),
        });
      }
      points[i] = { submit: submitRate, lease: leaseRate, complete: WINDOW / seconds(t2) };
      console.error(`scaling: ${name}, backlog ${backlog}: submit ${points[i]!.submit.toFixed(0)}, lease ${points[i]!.lease.toFixed(0)}, complete ${points[i]!.complete.toFixed(0)} tasks/s`);
    }
  } finally {
    await db.destroy();
  }
  return points;
}

// --- output

function report(figures: DatabaseFigures[]): void {
  const [load1, load5] = os.loadavg();
  const rate = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(0));
  console.log(`\nscaling: ${os.availableParallelism()} cores, load average ${load1.toFixed(1)} / ${load5.toFixed(1)} (1 / 5 min) at the end`);
  mkdirSync(SVG_DIR, { recursive: true });
  const written: string[] = [];
  const chart = (file: string, title: string, xLabel: string, yLabel: string, categories: string[], series: Series[]) => {
    writeFileSync(path.join(SVG_DIR, file), lineChart({ title, xLabel, yLabel, categories, series }));
    written.push(path.relative(REPO, path.join(SVG_DIR, file)));
  };
  if (CURVES.has('workers')) {
    console.log(`\nno-op Python tasks/s against workers (one local endpoint, ${TASKS} tasks in requests of 1,000)`);
    console.log(`| database | ${WORKERS.map((n) => `${n} worker${n === 1 ? '' : 's'}`).join(' | ')} |`);
    console.log(`| --- | ${WORKERS.map(() => '---:').join(' | ')} |`);
    for (const f of figures) console.log(`| ${f.name} | ${f.workers.map(rate).join(' | ')} |`);
    chart('scaling-workers.svg', 'Throughput against workers', 'workers on the endpoint', 'no-op tasks/s', WORKERS.map(String),
      figures.map((f) => ({ name: f.name, values: WORKERS.map((_, i) => f.workers[i]) })));
  }
  if (CURVES.has('batch')) {
    console.log(`\nno-op Python tasks/s against batch size (${BATCH_CURVE_WORKERS} workers, ${TASKS} tasks)`);
    console.log(`| database | ${BATCHES.map((n) => `${n} per request`).join(' | ')} |`);
    console.log(`| --- | ${BATCHES.map(() => '---:').join(' | ')} |`);
    for (const f of figures) console.log(`| ${f.name} | ${f.batch.map(rate).join(' | ')} |`);
    chart('scaling-batch.svg', 'Throughput against batch size', 'tasks per submit request', 'no-op tasks/s', BATCHES.map(String),
      figures.map((f) => ({ name: f.name, values: BATCHES.map((_, i) => f.batch[i]) })));
  }
  if (CURVES.has('backlog')) {
    console.log(`\nledger rates (tasks/s, ${WINDOW} tasks in batches of ${LEDGER_BATCH}) against the queued backlog`);
    console.log('| database | backlog | submit | lease | complete |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const f of figures) {
      BACKLOGS.forEach((backlog, i) => {
        const p = f.backlog[i];
        console.log(`| ${f.name} | ${backlog.toLocaleString('en-US')} | ${rate(p?.submit)} | ${rate(p?.lease)} | ${rate(p?.complete)} |`);
      });
    }
    chart('scaling-backlog.svg', 'Ledger rates against the queued backlog', 'tasks queued', 'tasks/s', BACKLOGS.map((n) => n.toLocaleString('en-US')),
      figures.flatMap((f) => (['lease', 'complete', 'submit'] as const).map((phase) => ({ name: `${f.name} ${phase}`, values: BACKLOGS.map((_, i) => f.backlog[i]?.[phase]) }))));
  }
  console.log(`\ncharts: ${written.join(', ')}`);
}

function seconds(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e9;
}
