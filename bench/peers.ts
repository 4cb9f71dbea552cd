/**
 * `npm run bench -- peers`: funcX-TS as a new user gets it, next to the tool they would otherwise
 * pick, in one run on this machine (issue 21's figures).
 *
 * funcX-TS runs exactly as `npm start` does (funcx-service serve --local-endpoint default, on its
 * own FUNCX_HOME, every FUNCX_* variable of the caller dropped, only the port a free one): once on
 * its embedded SQLite, and once more with FUNCX_DATABASE_URL naming a private MariaDB started as
 * the tests start it (test/helpers/mariadb.ts; FUNCX_BENCH_MARIADB_FLUSH sets its
 * innodb_flush_log_at_trx_commit, default 2). Celery + Redis (Debian's python3-celery,
 * python3-redis, redis-server): a private redis-server, a worker with prefork concurrency 2, and
 * Celery's fastest ordinary idiom for many tasks, one group(...) of every task, then its get().
 * The same no-op (`def noop(x=None): return x`; its JavaScript twin for the TypeScript SDK) goes
 * through every row:
 *   python-client    funcX-TS on SQLite, the Python client (sdk/python): the row issue 21 is about
 *   mariadb          the same on MariaDB
 *   python-executor  funcX-TS on SQLite, FuncXExecutor
 *   ts-client        funcX-TS on SQLite, the TypeScript Client
 *   ts-executor      funcX-TS on SQLite, the TypeScript Executor
 *   celery           Celery + Redis
 * Python rows run in long-lived driver processes fed through a pipe (peerDriver.ts), so that
 *   - throughput: FUNCX_BENCH_TASKS (10,000) tasks per row, FUNCX_BENCH_THROUGHPUT_ROUNDS (2)
 *     rounds, each round in the reverse order of the one before (a drift in the machine's load
 *     falls on every row alike); the figure is the mean of the rounds; each measured run comes
 *     after an unmeasured one of WARM_TASKS (its runtime's workers up);
 *   - round trips: FUNCX_BENCH_ROUND_TRIPS (1,000) per row, interleaved: one of each row in turn,
 *     the first row moving on by one every turn, so a noisy moment hits every row alike.
 * Then the table, the MariaDB/SQLite ratios, both databases' durability (read from them), memory,
 * and issue 21's targets with met / not met.
 *
 * FUNCX_BENCH_PEERS picks rows (comma-separated keys above); FUNCX_BENCH_PYTHON names the Python
 * (default /usr/bin/python3, where Debian's Celery lives); FUNCX_BENCH_CPU_PROF=DIR runs the
 * services under `node --cpu-prof` into DIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../src/config.js';
import { findBinary, startMariaDb, type MariaDbServer } from '../test/helpers/mariadb.js';
import { cpuSeconds, succeeds, type Group } from './processes.js';
import { startPythonPeer, startTypescriptClientPeer, startTypescriptExecutorPeer, type Peer } from './peerDriver.js';
import { defaultEnv, mariadbDurability, serviceMemory, sqliteDurability, startCelery, startFuncxService, type FuncxService } from './peerServices.js';
import { FUNCX_ROW, printPeersReport, type PeerFigures } from './peersReport.js';
import { createDatabase } from './inProcessService.js';
import { extraServiceNodeArgs } from './serviceNodeFlags.js';

const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 10_000);
const ROUND_TRIPS = Number(process.env.FUNCX_BENCH_ROUND_TRIPS ?? 1000);
const ROUNDS = Number(process.env.FUNCX_BENCH_THROUGHPUT_ROUNDS ?? 2);
const PYTHON = process.env.FUNCX_BENCH_PYTHON ?? (succeeds('/usr/bin/python3', ['-c', '']) ? '/usr/bin/python3' : 'python3');
const MARIADB_FLUSH = Number(process.env.FUNCX_BENCH_MARIADB_FLUSH ?? 2);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER_DIR = path.join(REPO, 'bench', 'python');
const ROWS = ['python-client', 'mariadb', 'python-executor', 'ts-client', 'ts-executor', 'celery'] as const;
/** Unmeasured tasks before each measured throughput run: on the SQLite endpoint the Python and JavaScript rows share its worker places, so each starts its own runtime's workers first. */
const WARM_TASKS = 100;
const CPU_PROF = process.env.FUNCX_BENCH_CPU_PROF;
/** Requests per round trip and row an identity (the user's token, the endpoint's credential) makes, at most: submit and wait; lease and results. */
const REQUESTS_PER_ROUND_TRIP = 3;

/**
 * The shortest turn of interleaved round trips (ms) that keeps each identity of a service with
 * `rows` rows under 75 % of the default rate limit (OPTIONS: 6,000 requests a minute each): at
 * full speed four rows on one service would pass it, and the SDKs' retries after a 429 would be
 * timed as round trips. The wait goes between turns, outside every timed round trip.
 */
function turnFloorMs(rows: number): number {
  const budget = OPTIONS.rateLimitRequests.default;
  return budget === 0 ? 0 : (REQUESTS_PER_ROUND_TRIP * rows * OPTIONS.rateLimitWindow.default) / (0.75 * budget);
}

function selectedRows(): Set<string> {
  const asked = (process.env.FUNCX_BENCH_PEERS ?? ROWS.join(',')).split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = asked.filter((name) => !(ROWS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`FUNCX_BENCH_PEERS: unknown ${unknown.join(', ')} (rows: ${ROWS.join(', ')})`);
  return new Set(asked);
}

export async function runPeersBench(): Promise<void> {
  const wanted = selectedRows();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-peers-'));
  const groups: Group[] = [];
  const peers: Peer[] = [];
  let mariadbServer: MariaDbServer | undefined;
  const stopAll = async () => {
    for (const peer of peers.splice(0).reverse()) await peer.close().catch((error) => console.error(`peers: closing ${peer.key}: ${error}`));
    for (const group of groups.splice(0).reverse()) await group.stop();
    await mariadbServer?.stop();
    mariadbServer = undefined;
  };
  const onSignal = () => void stopAll().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const loadAtStart = os.loadavg();
  const services: { label: string; service: FuncxService }[] = [];
  /** The funcX-TS service each row runs on (none for Celery), for its CPU per task. */
  const serviceOf = new Map<string, FuncxService>();
  const setup: string[] = [];
  const failureContext = () => services.map(({ label, service }) => `the ${label} service's last output:\n${service.group.output()}`).join('\n');
  try {
    const nodeArgs = [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []), ...extraServiceNodeArgs()];
    const pythonEnv = (home: string) => ({
      ...defaultEnv(), FUNCX_HOME: home, PYTHONPATH: [DRIVER_DIR, path.join(REPO, 'sdk', 'python')].join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1',
    });
    const onSqlite = ['python-client', 'python-executor', 'ts-client', 'ts-executor'].filter((key) => wanted.has(key));
    if (onSqlite.length > 0) {
      const sqlite = await startFuncxService({ repo: REPO, home: path.join(dir, 'home-sqlite'), nodeArgs });
      groups.push(sqlite.group);
      services.push({ label: 'SQLite', service: sqlite });
      console.error(`peers: funcX-TS on SQLite at ${sqlite.serviceUrl} (npm start defaults, FUNCX_HOME ${sqlite.home})`);
      setup.push(`SQLite: ${await sqliteDurability(sqlite.databaseUrl)}`);
      const settings = { serviceUrl: sqlite.serviceUrl, token: sqlite.token, endpointId: sqlite.endpointId };
      for (const key of onSqlite) {
        serviceOf.set(key, sqlite);
        if (key === 'ts-client') peers.push(await startTypescriptClientPeer('funcX-TS on SQLite, TypeScript Client', settings));
        else if (key === 'ts-executor') peers.push(await startTypescriptExecutorPeer('funcX-TS on SQLite, TypeScript Executor', settings));
        else {
          peers.push(await startPythonPeer({
            key, python: PYTHON, driverDir: DRIVER_DIR, env: pythonEnv(sqlite.home),
            kind: key === 'python-client' ? 'funcx-client' : 'funcx-executor',
            name: key === 'python-client' ? 'funcX-TS on SQLite, Python client' : 'funcX-TS on SQLite, Python FuncXExecutor',
          }));
        }
      }
    }
    if (wanted.has('mariadb')) {
      if (!findBinary('mariadbd')) throw new Error('the mariadb row needs mariadbd (apt-get install -y mariadb-server), or leave it out of FUNCX_BENCH_PEERS');
      mariadbServer = await startMariaDb({ flushLogAtTrxCommit: MARIADB_FLUSH });
      const databaseUrl = await createDatabase(mariadbServer.url, 'funcx');
      const mariadb = await startFuncxService({ repo: REPO, home: path.join(dir, 'home-mariadb'), databaseUrl, nodeArgs });
      groups.push(mariadb.group);
      services.push({ label: 'MariaDB', service: mariadb });
      console.error(`peers: funcX-TS on MariaDB at ${mariadb.serviceUrl} (npm start defaults and FUNCX_DATABASE_URL)`);
      setup.push(`MariaDB: ${await mariadbDurability(mariadbServer.url)}`);
      serviceOf.set('mariadb', mariadb);
      peers.push(await startPythonPeer({
        key: 'mariadb', python: PYTHON, driverDir: DRIVER_DIR, env: pythonEnv(mariadb.home), kind: 'funcx-client', name: 'funcX-TS on MariaDB, Python client',
      }));
    }
    if (wanted.has('celery')) {
      const celery = await startCelery({ python: PYTHON, driverDir: DRIVER_DIR, dir });
      if (celery) {
        groups.push(...celery.groups);
        peers.push(await startPythonPeer({
          key: 'celery', python: PYTHON, driverDir: DRIVER_DIR, kind: 'celery', name: 'Celery {version} + Redis, prefork 2',
          env: { ...process.env, CELERY_BROKER_URL: celery.brokerUrl, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: DRIVER_DIR },
        }));
      }
    }

    for (const peer of peers) {
      console.error(`peers: warming ${peer.key} ...`);
      await peer.warm();
    }
    const figures = new Map<string, PeerFigures>(peers.map((peer) => [peer.key, {
      key: peer.key, name: peer.name, idiom: peer.idiom, tasksPerS: 0, throughputRounds: [], serviceCpuMsPerTask: [], roundTripsMs: [],
      ...(peer.runWait && peer.key === FUNCX_ROW ? { runWait: { idiom: peer.runWait.idiom, roundTripsMs: [] } } : {}),
    }]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? peers : [...peers].reverse();
      for (const peer of order) {
        console.error(`peers: throughput round ${round + 1} of ${ROUNDS}, ${peer.key}, ${TASKS} tasks ...`);
        await peer.throughput(WARM_TASKS);
        // The service process's own CPU (its endpoint's agent and workers are other processes):
        // unlike tasks/s, about the same however busy the machine is, so a service that slows
        // down as it ages shows here (docs/benchmarks.md, "A long-running SQLite service").
        const pid = serviceOf.get(peer.key)?.group.child.pid;
        const cpuBefore = pid === undefined ? 0 : cpuSeconds(pid);
        figures.get(peer.key)!.throughputRounds.push(await peer.throughput(TASKS));
        if (pid !== undefined) figures.get(peer.key)!.serviceCpuMsPerTask!.push(((cpuSeconds(pid) - cpuBefore) * 1000) / TASKS);
      }
    }
    for (const row of figures.values()) row.tasksPerS = row.throughputRounds.reduce((sum, value) => sum + value, 0) / row.throughputRounds.length;
    // The Python client's row makes two round trips a turn (its call, then run + wait), so it counts twice on its service.
    const floorMs = turnFloorMs(Math.max(onSqlite.length + (wanted.has(FUNCX_ROW) ? 1 : 0), wanted.has('mariadb') ? 1 : 0));
    console.error(`peers: ${ROUND_TRIPS} round trips per row, interleaved (turns of at least ${floorMs.toFixed(0)} ms) ...`);
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const turnStarted = Date.now();
      for (let turn = 0; turn < peers.length; turn++) {
        const peer = peers[(i + turn) % peers.length];
        const row = figures.get(peer.key)!;
        const callFirst = !row.runWait || i % 2 === 0; // its two idioms take turns going first: the first after a pause meets a colder machine
        if (callFirst) row.roundTripsMs.push(await peer.roundTrip(i));
        if (row.runWait) row.runWait.roundTripsMs.push(await peer.runWait!.roundTrip(i));
        if (!callFirst) row.roundTripsMs.push(await peer.roundTrip(i));
      }
      if ((i + 1) % 200 === 0) console.error(`peers: ${i + 1} of ${ROUND_TRIPS} round trips per row`);
      const rest = floorMs - (Date.now() - turnStarted);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
    const refused = services.map(({ label, service }) => `${label} ${service.rateLimited()}`).join(', ');
    const anyRefused = services.some(({ service }) => service.rateLimited() > 0);
    setup.push(`${anyRefused ? 'WARNING: the SDKs retried after 429s, and those retries are in the figures: ' : ''}requests answered 429 (rate limit) by each service: ${refused}; ` +
      `round-trip turns paced to at least ${floorMs.toFixed(0)} ms, so no identity passes 75 % of the default budget`);
    const memory = services.map(({ label, service }) => `funcX-TS on ${label}, resident memory after the runs: ${serviceMemory(service)}`);
    const loadAtEnd = os.loadavg();
    await stopAll();
    const order = new Map<string, number>(ROWS.map((key, index) => [key, index]));
    printPeersReport({
      rows: [...figures.values()].sort((a, b) => order.get(a.key)! - order.get(b.key)!),
      tasks: TASKS, roundTrips: ROUND_TRIPS, rounds: ROUNDS, setup, memory,
      load: { start: loadAtStart, end: loadAtEnd, cores: os.availableParallelism() },
    });
  } catch (error) {
    console.error(failureContext());
    throw error;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
