/**
 * `npm run bench -- idle`: what an idle endpoint costs to keep, on MariaDB, with the agent's
 * protocol at its defaults (issue 21). FUNCX_BENCH_IDLE_ENDPOINTS (1,000) registered endpoints,
 * each long-polling (wait_s = the agent's poll_wait, 50 s) and heartbeating every 10 s with the
 * same idle report, starts staggered over one poll wait; one `funcx-service serve` process on a
 * private MariaDB server. Over FUNCX_BENCH_IDLE_SECONDS (default: five poll waits, after one of
 * warm-up) it prints:
 * - the database statements per idle endpoint per minute, from MariaDB's status counters
 *   (Questions, Com_select/insert/update/delete): these do not depend on the machine's load;
 * - the CPU of the service and of mariadbd (% of one core, from /proc), and per endpoint;
 * - the service's resident memory, open file descriptors and sockets (/proc/PID/fd), per endpoint.
 * FUNCX_BENCH_IDLE_10K=1 runs 10,000 endpoints too (polls and heartbeats). FUNCX_BENCH_SERVICE_CLI
 * measures another build (e.g. main's dist/src/cli/funcx-service.js) for a before/after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/connect.js';
import { freePort, startMariaDb } from '../test/helpers/mariadb.js';
import { DEFAULT_POLL_WAIT } from '../endpoint/config.js';
import { parseDuration } from '../src/util/time.js';
import { call } from './fleet.js';

const SERVICE_CLI = process.env.FUNCX_BENCH_SERVICE_CLI ?? fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));
const POLL_WAIT_S = parseDuration(DEFAULT_POLL_WAIT)! / 1000;
const HEARTBEAT_S = 10; // the agent's default heartbeat_period
const CLOCK_TICKS = 100; // Linux USER_HZ
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
  polls: number;
  failures: number;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function descriptors(pid: number): { fds: number; sockets: number } {
  const fds = readdirSync(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets += 1;
    } catch { /* closed meanwhile */ }
  }
  return { fds: fds.length, sockets };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureIdle(serverUrl: string, databasePid: number, count: number, seconds: number): Promise<Figures> {
  const name = `idle${count}_${Date.now() % 100000}`;
  const admin = openDatabase(serverUrl, { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const status = async () => {
    const [rows] = (await admin.raw('SHOW GLOBAL STATUS')) as [{ Variable_name: string; Value: string }[]];
    const all = new Map(rows.map((r) => [r.Variable_name, Number(r.Value)]));
    return Object.fromEntries(COUNTERS.map((c) => [c, all.get(c) ?? 0])) as Record<(typeof COUNTERS)[number], number>;
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-idle-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service: ChildProcess = spawn(process.execPath, [SERVICE_CLI, 'serve'], {
    env: { PATH: process.env.PATH, FUNCX_HOME: path.join(dir, 'home'), FUNCX_PORT: String(port), FUNCX_DATABASE_URL: `${serverUrl}${name}`, FUNCX_LOG_LEVEL: 'warn', FUNCX_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stopping = new AbortController();
  const inFlight = new Set<AbortController>();
  stopping.signal.addEventListener('abort', () => inFlight.forEach((c) => c.abort()));
  const stopped = new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
  try {
    const quickstart = path.join(dir, 'home', 'quickstart.json');
    let token = '';
    for (let i = 0; ; i++) {
      try {
        token = (JSON.parse(readFileSync(quickstart, 'utf8')) as { token: string }).token;
        await call(url, token, 'GET', '/healthz');
        break;
      } catch {
        if (i > 600) throw new Error('the service did not start');
        await sleep(100);
      }
    }
    const endpoints: { id: string; credential: string }[] = [];
    // 10,000 registrations outrun one user's request budget (6,000 a minute): wait and retry.
    const register = async (endpointName: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await call(url, token, 'POST', '/v3/endpoints', { name: endpointName });
        } catch (error) {
          if (attempt > 120 || !String(error).includes('TooManyRequests')) throw error;
          await sleep(1000);
        }
      }
    };
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => register(`idle-${i + j}`)));
      endpoints.push(...batch.map((e) => ({ id: e.endpoint_id, credential: e.credential })));
    }
    let polls = 0;
    let heartbeats = 0;
    let failures = 0;
    const guarded = async (work: (signal: AbortSignal) => Promise<unknown>) => {
      const request = new AbortController();
      inFlight.add(request);
      try {
        await work(request.signal);
        return true;
      } catch {
        if (!stopping.signal.aborted) failures += 1;
        return false;
      } finally {
        inFlight.delete(request);
      }
    };
    const report = (i: number) => ({ total_workers: 4, idle_workers: 4, outstanding_tasks: 0, pending_tasks: 0, hostname: `node-${i}.example.org` });
    const agents = endpoints.flatMap((e, i) => {
      const start = Math.random() * POLL_WAIT_S * 1000; // out of step, as agents started at different times are
      const pollLoop = async () => {
        await sleep(start);
        while (!stopping.signal.aborted) {
          if (await guarded((signal) => call(url, e.credential, 'POST', `/v3/endpoints/${e.id}/lease`, { max_tasks: 1, wait_s: POLL_WAIT_S }, signal))) polls += 1;
          else if (!stopping.signal.aborted) await sleep(1000);
        }
      };
      const heartbeatLoop = async () => {
        await sleep(start);
        while (!stopping.signal.aborted) {
          if (await guarded((signal) => call(url, e.credential, 'POST', `/v3/endpoints/${e.id}/heartbeat`, report(i), signal))) heartbeats += 1;
          await Promise.race([sleep(HEARTBEAT_S * 1000), stopped]);
        }
      };
      return [pollLoop(), heartbeatLoop()];
    });
    await sleep(POLL_WAIT_S * 1000 + 5000); // every agent started, polls and heartbeats out of step
    const counters0 = await status();
    const [service0, database0, polls0, heartbeats0, failures0, t0] = [cpuSeconds(service.pid!), cpuSeconds(databasePid), polls, heartbeats, failures, Date.now()];
    await sleep(seconds * 1000);
    const elapsed = (Date.now() - t0) / 1000;
    const counters1 = await status();
    const figures: Figures = {
      endpoints: count,
      seconds: elapsed,
      // The two SHOW GLOBAL STATUS queries themselves are noise (a few out of thousands).
      perEndpointPerMinute: Object.fromEntries(COUNTERS.map((c) => [c, ((counters1[c] - counters0[c]) / count) * (60 / elapsed)])) as Figures['perEndpointPerMinute'],
      serviceCpu: (100 * (cpuSeconds(service.pid!) - service0)) / elapsed,
      databaseCpu: (100 * (cpuSeconds(databasePid) - database0)) / elapsed,
      rssMiB: rssMiB(service.pid!),
      ...descriptors(service.pid!),
      polls: polls - polls0,
      heartbeats: heartbeats - heartbeats0,
      failures: failures - failures0,
    };
    stopping.abort();
    await Promise.all(agents);
    return figures;
  } finally {
    stopping.abort();
    const exited = new Promise((resolve) => service.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    await admin.raw(`DROP DATABASE ${name}`).catch(() => undefined);
    await admin.destroy();
  }
}

function print(f: Figures): void {
  const per = f.perEndpointPerMinute;
  console.log(`\n${f.endpoints} idle endpoints on MariaDB, polls of ${POLL_WAIT_S} s and a heartbeat every ${HEARTBEAT_S} s, staggered; ${f.seconds.toFixed(0)} s measured on ${os.availableParallelism()} cores`);
  console.log(`  ${f.polls} polls and ${f.heartbeats} heartbeats answered, ${f.failures} failed`);
  console.log(`  statements per endpoint per minute: ${per.Questions.toFixed(2)} (select ${per.Com_select.toFixed(2)}, insert ${per.Com_insert.toFixed(2)}, update ${per.Com_update.toFixed(2)}, delete ${per.Com_delete.toFixed(2)}, commit ${per.Com_commit.toFixed(2)})`);
  console.log(`  CPU: service ${f.serviceCpu.toFixed(1)} % + MariaDB ${f.databaseCpu.toFixed(1)} % = ${(f.serviceCpu + f.databaseCpu).toFixed(1)} % of a core`);
  console.log(`  service: ${f.rssMiB.toFixed(0)} MiB resident, ${f.fds} file descriptors (${f.sockets} sockets)`);
  const k = 1000 / f.endpoints;
  console.log(`  per 1,000 endpoints: ${((f.serviceCpu + f.databaseCpu) * k).toFixed(2)} % of a core, ${(f.rssMiB * k).toFixed(0)} MiB (all of the service's), ${(f.sockets * k).toFixed(0)} sockets`);
}

export async function runIdleBench(): Promise<void> {
  const counts = [Number(process.env.FUNCX_BENCH_IDLE_ENDPOINTS ?? 1000), ...(process.env.FUNCX_BENCH_IDLE_10K === '1' ? [10_000] : [])];
  const seconds = Number(process.env.FUNCX_BENCH_IDLE_SECONDS ?? 5 * POLL_WAIT_S);
  const server = await startMariaDb({ serverArgs: ['--max-connections=2000'] });
  try {
    for (const count of counts) print(await measureIdle(server.url, server.pid, count, seconds));
    console.log('\ntarget (issue 21): 1,000 idle endpoints under 3 % of a core, the database\'s CPU counted with the service\'s');
  } finally {
    await server.stop();
  }
}
