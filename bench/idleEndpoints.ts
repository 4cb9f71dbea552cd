/**
 * `npm run bench -- idle`: what an idle endpoint costs to keep, on MariaDB, with the agent's
 * protocol at its defaults (issue 21). FUNCX_BENCH_IDLE_ENDPOINTS (1,000) registered endpoints,
 * each long-polling (wait_s = the agent's poll_wait, 50 s) and heartbeating every 10 s with the
 * same idle report, skipped as the agent skips it while its open poll stands for it
 * (endpoint/agent/pollStandsIn.ts, idle_heartbeat_s in the lease answer), starts staggered over one poll wait; one `funcx-service serve` process on a
 * private MariaDB server. Over FUNCX_BENCH_IDLE_SECONDS (default: five poll waits, after two of
 * warm-up: every agent started and its first poll answered) it prints:
 * - the database statements per idle endpoint per minute, from MariaDB's status counters
 *   (Questions, Com_select/insert/update/delete): these do not depend on the machine's load;
 * - the CPU of the service and of mariadbd (% of one core, from /proc), and per endpoint;
 * - the service's resident memory, open file descriptors and sockets (/proc/PID/fd), per endpoint.
 * The simulated agents run in child processes of at most 2,500 each (idleAgentShard.ts), so that
 * neither the bench's own CPU nor its sockets are counted, and 10,000 agents fit under a process's
 * open-file limit.
 * FUNCX_BENCH_IDLE_LOG=1 prints every distinct statement of the window with its count per endpoint
 * per minute (bench/statementLog.ts). FUNCX_BENCH_IDLE_10K=1 runs 10,000 endpoints too (polls and heartbeats). FUNCX_BENCH_SERVICE_CLI
 * measures another build (e.g. main's dist/src/cli/funcx-service.js) for a before/after.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/connect.js';
import { startMariaDb } from '../test/helpers/mariadb.js';
import { DEFAULT_POLL_WAIT } from '../endpoint/config.js';
import { parseDuration } from '../src/util/time.js';
import { cpuSeconds, descriptors, processName, rssMiB } from './processes.js';
import { fork } from 'node:child_process';
import { registerEndpoints, sleep, startServiceProcess } from './idleAgents.js';
import { SHARD_SIZE, type ShardCount, type ShardOrder } from './idleAgentShard.js';
import { logStatements, printStatements, STATEMENT_LOG_ARGS } from './statementLog.js';
import { extraServiceNodeArgs } from './serviceNodeFlags.js';

const SERVICE_CLI = process.env.FUNCX_BENCH_SERVICE_CLI ?? fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));
const POLL_WAIT_S = parseDuration(DEFAULT_POLL_WAIT)! / 1000;
const HEARTBEAT_S = 10; // the agent's default heartbeat_period
const LOG_STATEMENTS = process.env.FUNCX_BENCH_IDLE_LOG === '1';
const COUNTERS = ['Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_commit'] as const;

interface Figures {
  endpoints: number;
  seconds: number;
  perEndpointPerMinute: Record<(typeof COUNTERS)[number], number>;
  serviceCpu: number;
  databaseCpu: number;
  rssMiB: number;
  fds: number;
  sockets: number;
  heartbeats: number;
  /** Heartbeats skipped, the open poll standing for them. */
  skipped: number;
  polls: number;
  failures: number;
  failedWith: [string, number][];
}

interface Shard {
  count(): Promise<ShardCount>;
  /** Its agents stopped (their requests aborted) and the process gone; a second call is a no-op. */
  stop(): Promise<void>;
}

/** The agents, SHARD_SIZE to a process (idleAgentShard.ts says why), each loop started at once. */
function startShards(url: string, endpoints: { id: string; credential: string }[]): Shard[] {
  const script = fileURLToPath(new URL('./idleAgentShard.js', import.meta.url));
  const shards: Shard[] = [];
  for (let first = 0; first < endpoints.length; first += SHARD_SIZE) {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const order: ShardOrder = {
      url,
      endpoints: endpoints.slice(first, first + SHARD_SIZE).map((e, i) => ({ ...e, index: first + i })),
      pollWaitS: POLL_WAIT_S,
      heartbeatS: HEARTBEAT_S,
    };
    child.send(order);
    const ask = (message: 'count' | 'stop') =>
      new Promise<ShardCount>((resolve, reject) => {
        child.once('message', (answer) => resolve(answer as ShardCount));
        child.once('exit', () => reject(new Error('an agent shard exited before it answered')));
        child.send(message);
      });
    let stopping: Promise<void> | undefined;
    shards.push({
      count: () => ask('count'),
      stop: () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) await ask('stop').catch(() => child.kill('SIGKILL'));
          await exited;
        })()),
    });
  }
  return shards;
}

async function measureIdle(serverUrl: string, databasePid: number, count: number, seconds: number): Promise<Figures> {
  const name = `idle${count}_${Date.now() % 100000}`;
  const admin = openDatabase(serverUrl, { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const status = async () => {
    const [rows] = (await admin.raw('SHOW GLOBAL STATUS')) as [{ Variable_name: string; Value: string }[]];
    const all = new Map(rows.map((r) => [r.Variable_name, Number(r.Value)]));
    return Object.fromEntries(COUNTERS.map((c) => [c, all.get(c) ?? 0])) as Record<(typeof COUNTERS)[number], number>;
  };
  const shards: Shard[] = [];
  try {
    // FUNCX_BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the idle service.
    const nodeArgs = extraServiceNodeArgs();
    const service = await startServiceProcess({ cli: SERVICE_CLI, nodeArgs, env: { FUNCX_DATABASE_URL: `${serverUrl}${name}` } });
    try {
      const { url } = service;
      const endpoints = await registerEndpoints(url, service.token, count);
      shards.push(...startShards(url, endpoints));
      const counted = async () => {
        const counts = await Promise.all(shards.map((shard) => shard.count()));
        return counts.reduce((sum, c) => ({ polls: sum.polls + c.polls, heartbeats: sum.heartbeats + c.heartbeats, skipped: sum.skipped + c.skipped, failures: sum.failures + c.failures, failedWith: [...sum.failedWith, ...c.failedWith] }));
      };
      // Every agent started (over one poll wait) and its first poll answered (one more): the steady state, polls and heartbeats
      // out of step. Until its first poll's answer says idle_heartbeat_s, an agent heartbeats every 10 s.
      await sleep(2 * POLL_WAIT_S * 1000 + 5000);
      // The service's and the database's CPU over the same window: both ends of an idle endpoint's cost.
      const counters0 = await status();
      const [service0, database0, before, t0] = [cpuSeconds(service.pid), cpuSeconds(databasePid), await counted(), Date.now()];
      // FUNCX_BENCH_IDLE_LOG=1: every statement of the window, from the private server's performance_schema.
      const logged = LOG_STATEMENTS ? await logStatements(admin, () => sleep(seconds * 1000)) : (await sleep(seconds * 1000), undefined);
      const elapsed = (Date.now() - t0) / 1000;
      const [service1, database1] = [cpuSeconds(service.pid), cpuSeconds(databasePid)];
      const counters1 = await status();
      const after = await counted();
      const figures: Figures = {
        endpoints: count,
        seconds: elapsed,
        // The two SHOW GLOBAL STATUS queries themselves are noise (a few out of thousands).
        perEndpointPerMinute: Object.fromEntries(COUNTERS.map((c) => [c, ((counters1[c] - counters0[c]) / count) * (60 / elapsed)])) as Figures['perEndpointPerMinute'],
        serviceCpu: (100 * (service1 - service0)) / elapsed,
        databaseCpu: (100 * (database1 - database0)) / elapsed,
        rssMiB: rssMiB(service.pid),
        ...descriptors(service.pid),
        polls: after.polls - before.polls,
        heartbeats: after.heartbeats - before.heartbeats,
        skipped: after.skipped - before.skipped,
        failures: after.failures - before.failures,
        failedWith: after.failedWith,
      };
      if (logged) printStatements(logged, count * (elapsed / 60), 'endpoint-minute');
      await Promise.all(shards.map((shard) => shard.stop()));
      return figures;
    } finally {
      await Promise.all(shards.map((shard) => shard.stop()));
      await service.stop();
    }
  } finally {
    await admin.raw(`DROP DATABASE ${name}`).catch(() => undefined);
    await admin.destroy();
  }
}

function print(f: Figures): void {
  const per = f.perEndpointPerMinute;
  console.log(`\n${f.endpoints} idle endpoints on MariaDB, polls of ${POLL_WAIT_S} s and a heartbeat every ${HEARTBEAT_S} s, staggered; ${f.seconds.toFixed(0)} s ` +
    `(${(f.seconds / POLL_WAIT_S).toFixed(1)} poll periods${f.seconds < 5 * POLL_WAIT_S ? ', fewer than the five issue 21 asks for' : ''}) measured on ${os.availableParallelism()} cores`);
  console.log(`  ${f.polls} polls and ${f.heartbeats} heartbeats answered (${f.skipped} skipped, the open poll standing for them), ${f.failures} failed`);
  for (const [message, count] of f.failedWith) console.log(`    ${count} (over the whole run, one shard's count) failed with ${message}`);
  console.log(`  statements per endpoint per minute: ${per.Questions.toFixed(2)} (select ${per.Com_select.toFixed(2)}, insert ${per.Com_insert.toFixed(2)}, update ${per.Com_update.toFixed(2)}, delete ${per.Com_delete.toFixed(2)}, commit ${per.Com_commit.toFixed(2)})`);
  console.log(`  CPU: service ${f.serviceCpu.toFixed(1)} % + MariaDB ${f.databaseCpu.toFixed(1)} % = ${(f.serviceCpu + f.databaseCpu).toFixed(1)} % of a core`);
  console.log(`  service: ${f.rssMiB.toFixed(0)} MiB resident, ${f.fds} file descriptors (${f.sockets} sockets)`);
  const k = 1000 / f.endpoints;
  console.log(`  per 1,000 endpoints: ${((f.serviceCpu + f.databaseCpu) * k).toFixed(2)} % of a core, ${(f.rssMiB * k).toFixed(0)} MiB (all of the service's), ${(f.sockets * k).toFixed(0)} sockets`);
}

export async function runIdleBench(): Promise<void> {
  const counts = [Number(process.env.FUNCX_BENCH_IDLE_ENDPOINTS ?? 1000), ...(process.env.FUNCX_BENCH_IDLE_10K === '1' ? [10_000] : [])];
  const seconds = Number(process.env.FUNCX_BENCH_IDLE_SECONDS ?? 5 * POLL_WAIT_S);
  const server = await startMariaDb({ serverArgs: ['--max-connections=2000', ...(LOG_STATEMENTS ? STATEMENT_LOG_ARGS : [])] });
  try {
    // The database's CPU is counted from this pid: it must be the server itself, not a wrapper.
    if (processName(server.pid) !== 'mariadbd' && processName(server.pid) !== 'mysqld') throw new Error(`pid ${server.pid} is ${processName(server.pid)}, not mariadbd`);
    for (const count of counts) print(await measureIdle(server.url, server.pid, count, seconds));
    console.log('\ntarget (issue 21): 1,000 idle endpoints under 3 % of a core, the database\'s CPU counted with the service\'s');
  } finally {
    await server.stop();
  }
}
