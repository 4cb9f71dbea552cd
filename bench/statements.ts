/**
 * `npm run bench -- statements`: what one task costs the database, counted, on SQLite
 * and on a private MariaDB in the same run (counts do not move with the machine's load;
 * the rates and round trips are printed as SQLite/MariaDB ratios of this one run).
 *   - per task and per request kind (submit, lease, results, wait), one task per request:
 *     the statements the service sends (knex's own query events, BEGIN and COMMIT included),
 *     and on MariaDB the server's own counters: Questions, Com_commit, Handler_commit,
 *     Innodb_os_log_fsyncs, Innodb_data_fsyncs
 *   - the same for batches of 500 tasks (the throughput path), and tasks/s through HTTP
 *   - the round trip of one task: a lease long-poll already waiting, submit, results, wait
 * The replica relay's timed reads (one per FUNCX_REPLICA_WAKEUP_INTERVAL, whatever the load)
 * are left out of the statement counts and shown on their own line; MariaDB's counters are
 * global, so they include them, and the bench's own SHOW STATUS (one per phase, subtracted).
 *
 * Durability compared (say it with the figures): the service opens SQLite in WAL mode with
 * synchronous = NORMAL (src/db/connect.ts): a commit survives the service's kill -9, and the
 * WAL is fsynced at checkpoints, not at each commit. The private MariaDB runs with
 * innodb_flush_log_at_trx_commit = 2 by default (test/helpers/mariadb.ts): a commit survives
 * the server's kill -9, the redo log is fsynced about once a second. That is the same class.
 * FUNCX_BENCH_MARIADB_FLUSH=1 starts it with 1 (an fsync per commit, the production
 * default); the service never changes the setting.
 */
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../src/db/connect.js';
import type { RunningService } from '../src/service.js';
import { findBinary } from '../test/helpers/mariadb.js';
import { poster, startSilentService, untilNoPollWaiting, untilPollWaiting, withMariaDbDatabase } from './inProcessService.js';

const SINGLES = Number(process.env.FUNCX_BENCH_SAMPLES ?? 200);
const BATCH = 500;
const BATCHES = Number(process.env.FUNCX_BENCH_BATCHES ?? 10);
const STATUS = ['Questions', 'Com_begin', 'Com_commit', 'Handler_commit', 'Innodb_os_log_fsyncs', 'Innodb_data_fsyncs'] as const;
type Status = Record<(typeof STATUS)[number], number>;

interface Phase {
  name: string;
  tasks: number;
  /** Statements the service sent (relay reads excluded). */
  statements: number;
  /** Of which wakeup_events inserts (the relay's announcements). */
  relayWrites: number;
  status?: Status;
  seconds: number;
}

interface Run {
  name: string;
  phases: Phase[];
  roundTripMs: number;
  relayReads: number;
}

export async function runStatementsBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-statements-'));
  const runs: Run[] = [];
  try {
    runs.push(await measure('SQLite', `sqlite://${path.join(dir, 'bench.sqlite3')}`, dir));
    if (findBinary('mariadbd')) {
      const flush = process.env.FUNCX_BENCH_MARIADB_FLUSH ?? '2';
      runs.push(await withMariaDbDatabase('bench', { flushLogAtTrxCommit: Number(flush) }, async (url, server) => {
        const admin = openDatabase(server.url, { poolMax: 1 });
        try {
          return await measure(`MariaDB (flush_log_at_trx_commit=${flush})`, url, dir, admin);
        } finally {
          await admin.destroy();
        }
      }));
    } else {
      console.log('MariaDB: skipped (mariadbd is not installed)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  print(runs);
}

async function measure(name: string, databaseUrl: string, dir: string, admin?: Knex): Promise<Run> {
  const home = mkdtempSync(path.join(dir, 'home-'));
  const service = await startSilentService(databaseUrl, home);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const counter = countStatements(service);
  try {
    const token = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
    const post = poster(service.url, agent);
    const functionId = (await post('/v3/functions', token, { runtime: 'python', source: 'def noop():\n    pass\n', entry_point: 'noop' })).function_uuid;
    const endpoint = await post('/v3/endpoints', token, { name: 'statements' });
    const ep = endpoint.endpoint_id as string;
    const payload = '{"args":[],"kwargs":{}}';
    const phases: Phase[] = [];
    const phase = async (phaseName: string, tasks: number, work: () => Promise<void>) => {
      const before = admin ? await readStatus(admin) : undefined;
      counter.reset();
      const started = process.hrtime.bigint();
      await work();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const counted = counter.read();
      const status = admin && before ? minus(await readStatus(admin), before) : undefined;
      if (status) status.Questions -= 1; // the second SHOW STATUS itself
      phases.push({ name: phaseName, tasks, ...counted, status, seconds });
    };
    const results = (leased: { task_id: string; lease_token: string }[]) =>
      leased.map((task) => ({ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: 'null', result_serializer: 'json' }));

    // Warm up (connections, statement caches), not counted.
    for (let i = 0; i < 20; i++) {
      const id = (await post(`/v3/endpoints/${ep}/submit`, token, { tasks: { [functionId]: [payload] } })).tasks[functionId][0];
      const leased = (await post(`/v3/endpoints/${ep}/lease`, endpoint.credential, { max_tasks: 1, wait_s: 0 })).tasks;
      await post(`/v3/endpoints/${ep}/results`, endpoint.credential, { results: results(leased) });
      await post('/v3/tasks/wait', token, { task_ids: [id], timeout_s: 10 });
    }

    // One task per request, each kind on its own.
    const ids: string[] = [];
    await phase('submit (1 task)', SINGLES, async () => {
      for (let i = 0; i < SINGLES; i++) ids.push((await post(`/v3/endpoints/${ep}/submit`, token, { tasks: { [functionId]: [payload] } })).tasks[functionId][0]);
    });
    const leasedSingles: { task_id: string; lease_token: string }[] = [];
    await phase('lease (1 task)', SINGLES, async () => {
      for (let i = 0; i < SINGLES; i++) leasedSingles.push(...(await post(`/v3/endpoints/${ep}/lease`, endpoint.credential, { max_tasks: 1, wait_s: 0 })).tasks);
    });
    if (leasedSingles.length !== SINGLES) throw new Error(`leased ${leasedSingles.length} of ${SINGLES}`);
    await phase('results (1 task)', SINGLES, async () => {
      for (const task of leasedSingles) await post(`/v3/endpoints/${ep}/results`, endpoint.credential, { results: results([task]) });
    });
    await phase('wait (1 done task)', SINGLES, async () => {
      for (const id of ids) await post('/v3/tasks/wait', token, { task_ids: [id], timeout_s: 10 });
    });

    // Batches of 500: the throughput path.
    const batchIds: string[][] = [];
    const leasedBatches: { task_id: string; lease_token: string }[][] = [];
    await phase(`cycle (batches of ${BATCH})`, BATCH * BATCHES, async () => {
      for (let b = 0; b < BATCHES; b++) batchIds.push((await post(`/v3/endpoints/${ep}/submit`, token, { tasks: { [functionId]: Array(BATCH).fill(payload) } })).tasks[functionId]);
      for (let b = 0; b < BATCHES; b++) leasedBatches.push((await post(`/v3/endpoints/${ep}/lease`, endpoint.credential, { max_tasks: BATCH, wait_s: 0 })).tasks);
      for (const batch of leasedBatches) await post(`/v3/endpoints/${ep}/results`, endpoint.credential, { results: results(batch) });
      for (const batch of batchIds) await post('/v3/tasks/wait', token, { task_ids: batch, timeout_s: 10 });
    });
    if (leasedBatches.flat().length !== BATCH * BATCHES) throw new Error('a batch lease came back short');

    // The round trip: a long-poll waiting, a submit wakes it, the result wakes the client's wait.
    const roundTrips: number[] = [];
    await phase('round trip (1 task)', SINGLES, async () => {
      for (let i = 0; i < SINGLES; i++) {
        const poll = post(`/v3/endpoints/${ep}/lease`, endpoint.credential, { max_tasks: 1, wait_s: 30 });
        await untilPollWaiting(service);
        const started = process.hrtime.bigint();
        const id = (await post(`/v3/endpoints/${ep}/submit`, token, { tasks: { [functionId]: [payload] } })).tasks[functionId][0];
        const leased = (await poll).tasks;
        if (leased.length !== 1) throw new Error('the poll answered without the task');
        const waiting = post('/v3/tasks/wait', token, { task_ids: [id], timeout_s: 30 });
        await post(`/v3/endpoints/${ep}/results`, endpoint.credential, { results: results(leased) });
        const done = await waiting;
        if (!done.done?.[id]) throw new Error('the wait answered without the result');
        roundTrips.push(Number(process.hrtime.bigint() - started) / 1e6);
        await untilNoPollWaiting(service);
      }
    });
    roundTrips.sort((a, b) => a - b);
    return { name, phases, roundTripMs: roundTrips[Math.floor(roundTrips.length / 2)], relayReads: counter.relayReads };
  } finally {
    counter.stop();
    agent.destroy();
    await service.close();
  }
}

/** Every statement the service's pool sends, from knex's query events. */
function countStatements(service: RunningService) {
  let statements = 0;
  let relayWrites = 0;
  let relayReads = 0;
  const trace = process.env.FUNCX_BENCH_TRACE ? new Map<string, number>() : undefined;
  const onQuery = (query: { sql: string }) => {
    const sql = query.sql.toLowerCase();
    if (trace) trace.set(query.sql.slice(0, 160), (trace.get(query.sql.slice(0, 160)) ?? 0) + 1);
    if (sql.includes('wakeup_events') && sql.startsWith('select')) relayReads += 1;
    else {
      statements += 1;
      if (sql.includes('wakeup_events')) relayWrites += 1;
    }
  };
  service.deps.db.on('query', onQuery);
  return {
    reset() {
      // FUNCX_BENCH_TRACE=1: each phase's distinct statements with their counts (the first 160 characters).
      if (trace) for (const [sql, n] of [...trace].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${sql.replace(/\s+/g, ' ')}`);
      trace?.clear();
      if (trace) console.log('----');
      statements = 0;
      relayWrites = 0;
    },
    read: () => ({ statements, relayWrites }),
    get relayReads() {
      return relayReads;
    },
    stop: () => service.deps.db.off('query', onQuery),
  };
}

async function readStatus(admin: Knex): Promise<Status> {
  const [rows] = (await admin.raw(`SHOW GLOBAL STATUS WHERE Variable_name IN (${STATUS.map(() => '?').join(', ')})`, [...STATUS])) as [{ Variable_name: string; Value: string }[]];
  const status = Object.fromEntries(STATUS.map((name) => [name, 0])) as Status;
  for (const row of rows) status[row.Variable_name as keyof Status] = Number(row.Value);
  return status;
}

function minus(after: Status, before: Status): Status {
  return Object.fromEntries(STATUS.map((name) => [name, after[name] - before[name]])) as Status;
}

function print(runs: Run[]): void {
  const per = (n: number, tasks: number) => (n / tasks).toFixed(2).padStart(7);
  console.log(`\nstatements per task: ${SINGLES} single-task requests per kind, ${BATCHES} batches of ${BATCH}; ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}`);
  for (const run of runs) {
    console.log(`\n${run.name}`);
    console.log(`  ${'phase'.padEnd(28)}  stmts  relay-w${run.phases[0].status ? '  Questions  Com_begin Com_commit  Hdl_commit  log_fsync data_fsync' : ''}   tasks/s`);
    for (const p of run.phases) {
      const status = p.status ? STATUS.map((name) => per(p.status![name], p.tasks).padStart(name === 'Questions' ? 9 : 10)).join(' ') : '';
      console.log(`  ${p.name.padEnd(28)}${per(p.statements, p.tasks)}  ${per(p.relayWrites, p.tasks)}${status ? '  ' + status : ''}  ${(p.tasks / p.seconds).toFixed(0).padStart(8)}`);
    }
    console.log(`  round trip median ${run.roundTripMs.toFixed(2)} ms; relay reads over the whole run: ${run.relayReads} (timed, not per task)`);
  }
  if (runs.length === 2) {
    const [sqlite, mariadb] = runs;
    console.log('\nMariaDB / SQLite, this run:');
    for (let i = 0; i < sqlite.phases.length; i++) {
      const s = sqlite.phases[i];
      const m = mariadb.phases[i];
      console.log(`  ${s.name.padEnd(28)} throughput ${((m.tasks / m.seconds) / (s.tasks / s.seconds)).toFixed(2)}x`);
    }
    console.log(`  round trip                   latency ${(mariadb.roundTripMs / sqlite.roundTripMs).toFixed(2)}x`);
  }
}
