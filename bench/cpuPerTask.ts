/**
 * `npm run bench -- cpu`: CPU time per task, process by process, during a Python-client flood
 * (issue 21's throughput). On a 2-core machine where the client, the service, the endpoint agent
 * and its workers share the CPU, throughput is set by the CPU they spend per task together; unlike
 * tasks/s, these figures hardly move when other work shares the machine.
 *
 * The service runs as the peers bench starts it (`funcx-service serve --local-endpoint default`,
 * npm start's defaults, embedded SQLite); the Python client drives it through peer_driver.py (its
 * throughput op: batches of 1,000 no-ops, wait_for_tasks, get_batch_result). Each of
 * FUNCX_BENCH_ROUNDS (3) measured runs of FUNCX_BENCH_TASKS (5,000) tasks reads user + system time
 * from /proc/PID/stat before and after, for: the client's driver, the service, the agent, and the
 * agent's workers (summed, together with the CPU of workers that ended meanwhile, which the agent
 * reaps). The service's request log gives the requests per task by route.
 *
 * FUNCX_BENCH_DATABASE=mariadb runs the service on a private MariaDB server (started as the tests
 * and the peers bench start it, innodb_flush_log_at_trx_commit=2 as there) instead, and counts the
 * server's CPU (mariadbd) as a process of its own: issue 21's MariaDB throughput is set by the CPU
 * the service and the server spend per task together. FUNCX_BENCH_MARIADB_DIGESTS=1 starts that
 * server with the Performance Schema on and prints, after the runs, its statement time per task by
 * statement (mariadbDigests.ts); the Performance Schema costs the server CPU, so that run's
 * mariadbd figure is not comparable with one without it.
 *
 * FUNCX_BENCH_CPU_PROF=DIR runs the service under `node --cpu-prof` into DIR (Node 20 refuses
 * --cpu-prof in NODE_OPTIONS, so the agent the service spawns is not; the e2e bench profiles an agent).
 * FUNCX_BENCH_SERVICE_NODE_ARGS adds node flags for the service (e.g. `--import FILE` to instrument it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendantsOf, succeeds } from './processes.js';
import { startPythonPeer, type Peer } from './peerDriver.js';
import { defaultEnv, startFuncxService, type FuncxService } from './peerServices.js';
import { extraServiceNodeArgs } from './serviceNodeFlags.js';
import { createDatabase } from './inProcessService.js';
import { printDigests, readDigests, resetDigests } from './mariadbDigests.js';
import { findBinary, startMariaDb, type MariaDbServer } from '../test/helpers/mariadb.js';

const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 5000);
const ROUNDS = Number(process.env.FUNCX_BENCH_ROUNDS ?? 3);
const PYTHON = process.env.FUNCX_BENCH_PYTHON ?? (succeeds('/usr/bin/python3', ['-c', '']) ? '/usr/bin/python3' : 'python3');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER_DIR = path.join(REPO, 'bench', 'python');
const WARM_TASKS = 200;
const CPU_PROF = process.env.FUNCX_BENCH_CPU_PROF;
const CLOCK_TICKS = 100; // Linux USER_HZ
const DATABASE = (process.env.FUNCX_BENCH_DATABASE ?? 'sqlite').toLowerCase();
const DIGESTS = process.env.FUNCX_BENCH_MARIADB_DIGESTS === '1';
const DATABASE_NAME = 'funcx';

interface Times {
  /** utime + stime, ms */
  own: number;
  /** cutime + cstime: children that ended and were reaped, ms */
  reaped: number;
}

function times(pid: number): Times | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // fields[11..14] are utime, stime, cutime, cstime (stat's fields 14..17)
    return { own: ((fields[11] + fields[12]) * 1000) / CLOCK_TICKS, reaped: ((fields[13] + fields[14]) * 1000) / CLOCK_TICKS };
  } catch {
    return undefined; // exited
  }
}

/** Every descendant of `root` (pid to command line). */
function descendants(root: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const pid of descendantsOf(root)) {
    try {
      found.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

interface Snapshot {
  /** mariadbd's, when the service runs on MariaDB */
  database?: Times;
  driver: Times;
  service: Times;
  agent: Times;
  /** pid to own time of each process under the agent */
  workers: Map<number, number>;
}

interface Processes {
  database?: number;
  driver: number;
  service: number;
  agent: number;
}

function snapshot(pids: Processes): Snapshot {
  const workers = new Map<number, number>();
  for (const pid of descendants(pids.agent).keys()) {
    const t = times(pid);
    if (t) workers.set(pid, t.own + t.reaped);
  }
  const read = (pid: number, what: string) => {
    const t = times(pid);
    if (!t) throw new Error(`cpu bench: the ${what} (pid ${pid}) is gone`);
    return t;
  };
  return { database: pids.database === undefined ? undefined : read(pids.database, 'MariaDB server'), driver: read(pids.driver, 'client driver'), service: read(pids.service, 'service'), agent: read(pids.agent, 'agent'), workers };
}

interface Row {
  database: number;
  driver: number;
  service: number;
  agent: number;
  workers: number;
  workerProcesses: number;
  tasksPerS: number;
  requests: Map<string, number>;
}

function perTask(before: Snapshot, after: Snapshot, tasks: number): Omit<Row, 'tasksPerS' | 'requests'> {
  let workers = after.agent.reaped - before.agent.reaped; // workers that ended during the run
  for (const [pid, ms] of after.workers) workers += ms - (before.workers.get(pid) ?? 0);
  return {
    database: after.database && before.database ? (after.database.own - before.database.own) / tasks : 0,
    driver: (after.driver.own - before.driver.own) / tasks,
    service: (after.service.own - before.service.own) / tasks,
    agent: (after.agent.own - before.agent.own) / tasks,
    workers: workers / tasks,
    workerProcesses: after.workers.size,
  };
}

/** Counts the service's requests by method and route shape (ids replaced), from its request log. */
function countRequests(service: FuncxService): { take(): Map<string, number> } {
  let counts = new Map<string, number>();
  let partial = '';
  service.group.onOutput((chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"msg":"request"')) continue;
      try {
        const entry = JSON.parse(line) as { method: string; path: string };
        const shape = `${entry.method} ${entry.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`;
        counts.set(shape, (counts.get(shape) ?? 0) + 1);
      } catch {
        // not a log line of ours
      }
    }
  });
  return {
    take: () => {
      const taken = counts;
      counts = new Map();
      return taken;
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`cpu bench: no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function runCpuPerTaskBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-cpu-'));
  let service: FuncxService | undefined;
  let peer: Peer | undefined;
  let mariadb: MariaDbServer | undefined;
  try {
    if (DATABASE !== 'sqlite' && DATABASE !== 'mariadb') throw new Error(`FUNCX_BENCH_DATABASE: sqlite or mariadb, not ${DATABASE}`);
    if (DATABASE === 'mariadb') {
      if (!findBinary('mariadbd')) throw new Error('FUNCX_BENCH_DATABASE=mariadb needs mariadbd (apt-get install -y mariadb-server)');
      mariadb = await startMariaDb({ flushLogAtTrxCommit: 2, serverArgs: DIGESTS ? ['--performance-schema=ON'] : [] });
    }
    const databaseUrl = mariadb && (await createDatabase(mariadb.url, DATABASE_NAME));
    const nodeArgs = [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []), ...extraServiceNodeArgs()];
    service = await startFuncxService({ repo: REPO, home: path.join(dir, 'home'), nodeArgs, databaseUrl });
    const requests = countRequests(service);
    peer = await startPythonPeer({
      key: 'python-client', name: `funcX-TS on ${mariadb ? 'MariaDB' : 'SQLite'}, Python client`, python: PYTHON, driverDir: DRIVER_DIR, kind: 'funcx-client',
      env: { ...defaultEnv(), FUNCX_HOME: service.home, PYTHONPATH: [DRIVER_DIR, path.join(REPO, 'sdk', 'python')].join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1' },
    });
    await peer.warm();
    await peer.throughput(WARM_TASKS);
    const servicePid = service.group.child.pid!;
    const agent = await waitFor('endpoint agent', () => [...descendants(servicePid)].find(([, cmd]) => cmd.includes('funcx-endpoint'))?.[0], 60_000);
    const pids = { database: mariadb?.pid, driver: peer.pid!, service: servicePid, agent };
    const rows: Row[] = [];
    if (mariadb && DIGESTS) await resetDigests(mariadb.url);
    for (let round = 0; round < ROUNDS; round++) {
      requests.take();
      const before = snapshot(pids);
      const tasksPerS = await peer.throughput(TASKS);
      const after = snapshot(pids);
      // the request log line of the last request may still be on its way through the pipe
      await new Promise((resolve) => setTimeout(resolve, 200));
      rows.push({ ...perTask(before, after, TASKS), tasksPerS, requests: requests.take() });
      const last = rows.at(-1)!;
      console.error(`cpu: round ${round + 1} of ${ROUNDS}: client ${last.driver.toFixed(3)}, service ${last.service.toFixed(3)}, agent ${last.agent.toFixed(3)}, ` +
        `workers ${last.workers.toFixed(3)} ms/task; ${tasksPerS.toFixed(0)} tasks/s; ` +
        `${mariadb ? `mariadbd ${last.database.toFixed(3)} ms/task; ` : ''}${([...last.requests.values()].reduce((sum, n) => sum + n, 0) / TASKS).toFixed(3)} requests/task`);
    }
    const workersCmd = [...descendants(agent).values()];
    console.log(`\nCPU per task, process by process: ${ROUNDS} runs of ${TASKS} no-op tasks through the Python client (batches of 1,000), ` +
      `funcx-service serve --local-endpoint default on ${mariadb ? 'a private MariaDB (innodb_flush_log_at_trx_commit=2)' : 'SQLite'}, ${os.availableParallelism()} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const line = (label: string, values: number[]) =>
      console.log(`  ${label.padEnd(34)} ${median(values).toFixed(3).padStart(7)} ms   (runs: ${values.map((v) => v.toFixed(3)).join(', ')})`);
    line('Python client (driver process)', rows.map((r) => r.driver));
    line('service (funcx-service serve)', rows.map((r) => r.service));
    line('endpoint agent (node)', rows.map((r) => r.agent));
    line(`workers (sum of ${workersCmd.length} processes)`, rows.map((r) => r.workers));
    if (mariadb) line('MariaDB server (mariadbd)', rows.map((r) => r.database));
    line('all of them', rows.map((r) => r.database + r.driver + r.service + r.agent + r.workers));
    const total = median(rows.map((r) => r.database + r.driver + r.service + r.agent + r.workers));
    console.log(`  => at most ${((os.availableParallelism() * 1000) / total).toFixed(0)} tasks/s on ${os.availableParallelism()} idle cores; ` +
      `measured ${rows.map((r) => r.tasksPerS.toFixed(0)).join(', ')} tasks/s (shared machine: noisy)`);
    const routes = new Map<string, number[]>();
    for (const row of rows) for (const [route, n] of row.requests) routes.set(route, [...(routes.get(route) ?? []), n]);
    console.log(`  requests per 10,000 tasks (median of the runs):`);
    for (const [route, counts] of [...routes].sort()) console.log(`    ${route.padEnd(48)} ${((median(counts) * 10_000) / TASKS).toFixed(0).padStart(6)}`);
    if (mariadb && DIGESTS) printDigests(await readDigests(mariadb.url, DATABASE_NAME), ROUNDS * TASKS);
  } finally {
    await peer?.close().catch((error) => console.error(`cpu: closing the driver: ${error}`));
    await service?.group.stop();
    await mariadb?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
