/**
 * `npm run bench -- ledger`: the ledger's throughput on SQLite and MariaDB (a
 * private server, when mariadbd is installed), and how fast a submit reaches a
 * waiting long-poll through the HTTP service.
 *   - submit, lease and complete of 20,000 tasks in batches of 500, each phase
 *     and the whole cycle (tasks/s), through the ledger functions
 *   - median and p99 from a submit (HTTP) to a waiting lease long-poll receiving it
 *   - listing a page of a submitter's tasks at a large backlog (ledgerListing.ts)
 */
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../src/db/connect.js';
import { migrateLatest } from '../src/db/migrate.js';
import { submitTasks } from '../src/ledger/submitTasks.js';
import { leaseTasks, type LeasedTask } from '../src/ledger/leaseTasks.js';
import { completeTasks } from '../src/ledger/completeTasks.js';
import { registerFunction } from '../src/registry/functions.js';
import { registerEndpoint } from '../src/registry/endpoints.js';
import { findBinary } from '../test/helpers/mariadb.js';
import { poster, startSilentService, untilNoPollWaiting, untilPollWaiting, withMariaDbDatabase } from './inProcessService.js';
import { listingAtBacklog, type ListingFigures } from './ledgerListing.js';

const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 20_000);
const BATCH = 500;
const LATENCY_SAMPLES = Number(process.env.FUNCX_BENCH_SAMPLES ?? 300);
/** Which databases to measure (comma-separated: sqlite, mariadb); both by default. */
const DATABASES = (process.env.FUNCX_BENCH_DATABASES ?? 'sqlite,mariadb').split(',').map((name) => name.trim().toLowerCase());

interface Figures {
  submit: number;
  lease: number;
  complete: number;
  cycle: number;
  /** This process's CPU time per task over the whole cycle (for SQLite: all of it; for MariaDB: the client side). */
  cpuUsPerTask: number;
  medianMs: number;
  p99Ms: number;
  listing: ListingFigures;
}

export async function runLedgerBench(): Promise<void> {
  const rows: [string, Figures][] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-ledger-'));
  try {
    if (DATABASES.includes('sqlite')) rows.push(['SQLite', await measure(`sqlite://${path.join(dir, 'bench.sqlite3')}`, dir)]);
    if (!DATABASES.includes('mariadb')) {
      // not asked for
    } else if (findBinary('mariadbd')) {
      rows.push(['MariaDB', await withMariaDbDatabase('bench', {}, (url) => measure(url, dir))]);
    } else {
      console.log('MariaDB: skipped (mariadbd is not installed)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rate = (n: number) => n.toFixed(0).padStart(9);
  console.log(`\nledger: ${TASKS} tasks in batches of ${BATCH}, ${os.availableParallelism()} cores (tasks/s; latency over ${LATENCY_SAMPLES} samples)`);
  console.log('database   submit      lease   complete      cycle   CPU us/task   submit->poll median   p99');
  for (const [name, f] of rows) {
    console.log(`${name.padEnd(8)}${rate(f.submit)}  ${rate(f.lease)}  ${rate(f.complete)}  ${rate(f.cycle)}  ${f.cpuUsPerTask.toFixed(1).padStart(12)}   ${f.medianMs.toFixed(2).padStart(10)} ms  ${f.p99Ms.toFixed(2).padStart(6)} ms`);
  }
  console.log('\nlisting (GET /v3/tasks): a page of 50 of one submitter\'s tasks, newest first, median of 50 reads');
  console.log('database   tasks in ledger   first page   deep page (cursor half-way)');
  for (const [name, f] of rows) {
    console.log(`${name.padEnd(8)}${String(f.listing.backlog).padStart(16)}   ${f.listing.firstPageMs.toFixed(2).padStart(7)} ms   ${f.listing.deepPageMs.toFixed(2).padStart(7)} ms`);
  }
  for (const [name, f] of rows) console.log(`plan of a deep page on ${name}:\n  ${f.listing.plan.split('\n').join('\n  ')}`);
  const [load1] = os.loadavg();
  console.log(`load average during the run: ${load1.toFixed(1)} (1 min); the rates fall with load, the CPU time per task much less`);
  console.log('targets (issue 10): cycle >= 20,000 tasks/s on SQLite, >= 10,000 on MariaDB; median submit->poll < 5 ms');
}

async function measure(url: string, dir: string): Promise<Figures> {
  const db = openDatabase(url, { poolMax: 10 });
  try {
    await migrateLatest(db);
    const { ids, ...throughput } = await ledgerThroughput(db);
    const latency = await submitToPollLatency(url, dir);
    const listing = await listingAtBacklog(db, ids);
    return { ...throughput, ...latency, listing };
  } finally {
    await db.destroy();
  }
}

async function ledgerThroughput(db: Knex) {
  const owner = { kind: 'user' as const, id: 'bench', groups: [] };
  const functionId = await registerFunction(db, owner.id, { runtime: 'python', source: 'def noop():\n    pass\n', entry_point: 'noop' });
  const { endpoint_id: endpointId } = await registerEndpoint(db, owner, { name: 'bench' });
  const payload = JSON.stringify({ args: [], kwargs: {} });
  const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < TASKS; sent += BATCH) {
    await submitTasks(db, { submitter: owner.id, tasks: Array.from({ length: BATCH }, () => ({ functionId, endpointId, payload, serializer: 'json' as const })) });
  }
  const submitS = seconds(t0);
  const t1 = process.hrtime.bigint();
  const batches: LeasedTask[][] = [];
  for (;;) {
    const leased = await leaseTasks(db, { endpointId, maxTasks: BATCH, leaseMs: 600_000 });
    if (leased.length === 0) break;
    batches.push(leased);
  }
  const leaseS = seconds(t1);
  const t2 = process.hrtime.bigint();
  for (const batch of batches) {
    await completeTasks(db, {
      endpointId, maxResultBytes: 1 << 20, maxRetries: 3,
      results: batch.map((task) => ({ task_id: task.taskId, lease_token: task.leaseToken, status: 'success' as const, result: 'null', result_serializer: 'json' as const })),
    });
  }
  const completeS = seconds(t2);
  const leasedCount = batches.reduce((n, b) => n + b.length, 0);
  if (leasedCount !== TASKS) throw new Error(`leased ${leasedCount} of ${TASKS}`);
  const cpu = process.cpuUsage(cpu0);
  // CPU time of this process per task: on a shared machine it moves far less than the rates do.
  const cpuUsPerTask = (cpu.user + cpu.system) / TASKS;
  return {
    submit: TASKS / submitS, lease: TASKS / leaseS, complete: TASKS / completeS, cycle: TASKS / (submitS + leaseS + completeS), cpuUsPerTask,
    ids: { submitter: owner.id, functionId, endpointId },
  };
}

/** A real service on port 0: an endpoint waits in a lease long-poll; time from submitting to the poll's answer. */
async function submitToPollLatency(databaseUrl: string, dir: string) {
  const home = mkdtempSync(path.join(dir, 'home-'));
  const service = await startSilentService(databaseUrl, home);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const token = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
    const post = poster(service.url, agent);
    const functionId = (await post('/v3/functions', token, { runtime: 'python', source: 'def noop():\n    pass\n', entry_point: 'noop' })).function_uuid;
    const endpoint = await post('/v3/endpoints', token, { name: 'latency' });
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const poll = post(`/v3/endpoints/${endpoint.endpoint_id}/lease`, endpoint.credential, { max_tasks: 1, wait_s: 30 });
      await untilPollWaiting(service);
      const started = process.hrtime.bigint();
      await post(`/v3/endpoints/${endpoint.endpoint_id}/submit`, token, { tasks: { [functionId]: ['{"args":[],"kwargs":{}}'] } });
      const answer = await poll;
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (answer.tasks.length !== 1) throw new Error('the poll answered without the task');
      await untilNoPollWaiting(service);
    }
    samples.sort((a, b) => a - b);
    return { medianMs: samples[Math.floor(samples.length / 2)], p99Ms: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))] };
  } finally {
    agent.destroy();
    await service.close();
  }
}
