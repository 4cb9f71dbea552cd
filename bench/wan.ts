/**
 * `npm run bench -- wan`: a lone round trip as users a WAN away see it, funcX-TS's
 * Python client next to Celery + Redis, in one run.
 *
 * A bench-only relay (delayRelay.ts) stands between each server and everything that
 * talks to it: funcX-TS's service and both its client and its endpoint; Redis and
 * both Celery's client and its worker (prefork 2). It delays every chunk 10 ms each
 * way and makes a new connection pay TCP's handshake round trip. One Python driver
 * (python/round_trip_pair.py) alternates the two peers' round trips in one loop, so
 * both see the same moments of the machine: first with the relays at 0 ms
 * (FUNCX_BENCH_ROUND_TRIPS, default 1,000: the local median and p99), then at
 * FUNCX_BENCH_WAN_MS (default 10) each way (FUNCX_BENCH_WAN_ROUND_TRIPS, default 100).
 * "Network round trips" = (WAN median − local median) / (2 × delay). The table also
 * counts the TCP connections each relay took during the WAN run. FUNCX_BENCH_PYTHON_SDK
 * names another copy of sdk/python to drive funcX-TS with (a before/after figure).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/mariadb.js';
import { endpointPaths } from '../endpoint/paths.js';
import { writeConfigTemplate } from '../endpoint/config.js';
import { readIdentity } from '../endpoint/identity.js';
import { startDelayRelay, type DelayRelay } from './delayRelay.js';
import { percentile, runToEnd, spawnGroup, succeeds, type Group } from './processes.js';
import { benchServiceNodeFlags } from './serviceNodeFlags.js';

const LOCAL_ROUND_TRIPS = Number(process.env.FUNCX_BENCH_ROUND_TRIPS ?? 1000);
const WAN_ROUND_TRIPS = Number(process.env.FUNCX_BENCH_WAN_ROUND_TRIPS ?? 100);
const WAN_MS = Number(process.env.FUNCX_BENCH_WAN_MS ?? 10);
const PYTHON = process.env.FUNCX_BENCH_PYTHON ?? (succeeds('/usr/bin/python3', ['-c', '']) ? '/usr/bin/python3' : 'python3');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON_DIR = path.join(REPO, 'bench', 'python');
/** round_trip_pair.py's WARM. */
const WARM_ROUND_TRIPS = 10;

interface Samples {
  /** call(i): empty for a client without it (FUNCX_BENCH_PYTHON_SDK). */
  funcx_call_ms: number[];
  /** run, wait_for_tasks, get_result. */
  funcx_ms: number[];
  celery_ms: number[];
}

export async function runWanBench(): Promise<void> {
  if (!succeeds(PYTHON, ['-c', 'import celery, redis']) || !succeeds('redis-server', ['--version'])) {
    throw new Error(`the wan bench needs ${PYTHON} with celery and redis, and redis-server (apt-get install python3-celery python3-redis redis-server)`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-wan-'));
  const groups: Group[] = [];
  const relays: DelayRelay[] = [];
  try {
    // funcX-TS: the service on npm start's defaults, its endpoint and client behind the relay.
    const home = path.join(dir, 'home');
    const servicePort = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_')));
    const service = spawnGroup(process.execPath, [...benchServiceNodeFlags(), path.join(REPO, 'dist', 'src', 'cli', 'funcx-service.js'), 'serve'], {
      cwd: REPO, env: { ...env, FUNCX_HOME: home, FUNCX_PORT: String(servicePort) },
    });
    groups.push(service);
    await service.lineMatching(/credentials for clients in/, 120_000);
    const token = (JSON.parse(readFileSync(path.join(home, 'quickstart.json'), 'utf8')) as { token: string }).token;
    const funcxRelay = await startDelayRelay({ host: '127.0.0.1', port: servicePort }, 0);
    relays.push(funcxRelay);
    const relayUrl = `http://${funcxRelay.host}:${funcxRelay.port}`;
    const paths = endpointPaths('wan', home);
    writeConfigTemplate(paths, relayUrl);
    const endpoint = spawnGroup(process.execPath, [path.join(REPO, 'dist', 'endpoint', 'cli', 'funcx-endpoint.js'), 'start', 'wan', '--service-url', relayUrl], {
      cwd: REPO, env: { ...env, FUNCX_HOME: home, FUNCX_TOKEN: token },
    });
    groups.push(endpoint);
    let endpointId: string | undefined;
    for (let i = 0; i < 1200 && !endpointId; i++) {
      endpointId = readIdentity(paths)?.endpoint_id;
      if (!endpointId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!endpointId) throw new Error(`the endpoint did not register:\n${endpoint.output()}`);

    // Celery: Redis, and both the worker and the client behind the relay.
    const redisPort = await freePort();
    const redisDir = mkdtempSync(path.join(dir, 'redis-'));
    const redis = spawnGroup('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { cwd: redisDir });
    groups.push(redis);
    await redis.lineMatching(/Ready to accept connections/, 60_000);
    const redisRelay = await startDelayRelay({ host: '127.0.0.1', port: redisPort }, 0);
    relays.push(redisRelay);
    const celeryEnv = { ...env, CELERY_BROKER_URL: `redis://${redisRelay.host}:${redisRelay.port}/0`, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: PYTHON_DIR };
    groups.push(spawnGroup(PYTHON, ['-m', 'celery', '-A', 'celery_peer', 'worker', '--pool', 'prefork', '--concurrency', '2', '--loglevel', 'WARNING', '--without-gossip', '--without-mingle', '--without-heartbeat'], {
      cwd: redisDir, env: celeryEnv,
    }));

    const driverEnv = {
      ...celeryEnv, FUNCX_HOME: home, FUNCX_SERVICE_URL: relayUrl, FUNCX_TOKEN: token, FUNCX_ENDPOINT_ID: endpointId,
      PYTHONPATH: [PYTHON_DIR, process.env.FUNCX_BENCH_PYTHON_SDK ?? path.join(REPO, 'sdk', 'python')].join(path.delimiter),
    };
    const drive = async (count: number): Promise<Samples> => JSON.parse(await runToEnd(PYTHON, [path.join(PYTHON_DIR, 'round_trip_pair.py'), String(count)], {
      cwd: redisDir, env: driverEnv, timeoutMs: 60 * 60_000,
    })) as Samples;

    console.error(`wan: ${LOCAL_ROUND_TRIPS} interleaved round trips each, relays at 0 ms ...`);
    const local = await drive(LOCAL_ROUND_TRIPS);
    for (const relay of relays) relay.delayMs = WAN_MS;
    const connectionsBefore = relays.map((relay) => relay.connections);
    const requestsBefore = funcxRelay.httpRequests;
    console.error(`wan: ${WAN_ROUND_TRIPS} interleaved round trips each, relays at ${WAN_MS} ms each way ...`);
    const wan = await drive(WAN_ROUND_TRIPS);
    const connections = relays.map((relay, i) => relay.connections - connectionsBefore[i]);
    printTable(local, wan, connections);
    // The driver's warm-up and registration are in the count too.
    const roundTrips = WAN_ROUND_TRIPS + WARM_ROUND_TRIPS;
    const kinds = wan.funcx_call_ms.length > 0 ? 'a call and a run + wait' : 'a run + wait';
    console.log(`funcX-TS requests at the service during the WAN run (client and endpoint): ${funcxRelay.httpRequests - requestsBefore} ` +
      `for ${roundTrips} turns of ${kinds} and one registration (${((funcxRelay.httpRequests - requestsBefore) / roundTrips).toFixed(2)} per turn)`);
  } finally {
    for (const group of groups.reverse()) await group.stop();
    for (const relay of relays) await relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(local: Samples, wan: Samples, connections: number[]): void {
  const [load1] = os.loadavg();
  const rtt = 2 * WAN_MS;
  console.log(`\nwan: round trips (funcX-TS: call(i), and run, wait_for_tasks, get_result) interleaved with Celery's; local ${LOCAL_ROUND_TRIPS} each, WAN (${WAN_MS} ms each way) ${WAN_ROUND_TRIPS} each; ` +
    `${os.availableParallelism()} cores, load average ${load1.toFixed(1)}`);
  console.log('| | local median | local p99 | WAN median | WAN p99 | network round trips | connections in the WAN run |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  // The relay counts connections per server: funcX-TS's two idioms share theirs.
  const rows = [
    ...(local.funcx_call_ms.length > 0 ? [['funcX-TS, Python client, call(i)', local.funcx_call_ms, wan.funcx_call_ms, connections[0]] as const] : []),
    ['funcX-TS, Python client, run + wait_for_tasks + get_result', local.funcx_ms, wan.funcx_ms, connections[0]] as const,
    ['Celery + Redis, prefork 2, delay(i).get()', local.celery_ms, wan.celery_ms, connections[1]] as const,
  ];
  for (const [name, near, far, opened] of rows) {
    const nearMedian = percentile(near, 0.5);
    const farMedian = percentile(far, 0.5);
    console.log(`| ${name} | ${nearMedian.toFixed(2)} ms | ${percentile(near, 0.99).toFixed(2)} ms | ${farMedian.toFixed(1)} ms | ` +
      `${percentile(far, 0.99).toFixed(1)} ms | ${((farMedian - nearMedian) / rtt).toFixed(1)} | ${opened} |`);
  }
  console.log(`targets (issue 21): local median <= Celery's, p99 <= 2 x Celery's; WAN <= 2 network round trips + 5 ms (${2 * rtt + 5} ms), ahead of Celery`);
}
