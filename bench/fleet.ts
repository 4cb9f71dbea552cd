/**
 * `npm run bench -- fleet`: what several replicas and many idle endpoints cost.
 *
 * 1. Idle federation (SQLite, `funcx-service serve` as its own process so its CPU and memory
 *    are its own, default settings): FUNCX_BENCH_ENDPOINTS (1,000) registered endpoints
 *    long-polling with no work, as agents do (lease, wait poll_wait, again); the service's CPU
 *    (% of one core, from /proc) and resident memory over FUNCX_BENCH_IDLE_SECONDS (default:
 *    two poll waits), with the agent's default poll_wait and with the former default of 20 s.
 *    Agents' polls are not in step: each endpoint's first poll starts at a random moment of
 *    the first poll wait, and the measurement starts after it.
 * 2. The fleet on MariaDB (a private server, as the tests start): 1 and 2 replicas on one
 *    database. Submit -> waiting poll latency when the poll waits on the other replica (the
 *    relay) and on the same one; and throughput: FUNCX_BENCH_TASKS (5,000) tasks submitted in
 *    batches of 500 spread over the replicas, run by 4 simulated endpoints (lease 100, post
 *    results at once) polling alternate replicas.
 * 3. Poll resume after a replica dies (MariaDB and HAProxy): two `funcx-service serve`
 *    processes behind HAProxy (health checks every 200 ms, as test/fleet/ runs it), an endpoint
 *    polling through HAProxy with the agent's own client and backoff. The replica holding the
 *    poll is SIGKILLed and a task submitted through HAProxy at once: the time from the kill
 *    until the endpoint holds that task, FUNCX_BENCH_RESUME_SAMPLES (5) times.
 * FUNCX_BENCH_FLEET_PARTS=idle,mariadb,resume picks parts (default: all).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService, type RunningService } from '../src/service.js';
import { findBinary, startMariaDb } from '../test/helpers/mariadb.js';
import { DEFAULT_POLL_WAIT } from '../endpoint/config.js';
import { parseDuration } from '../src/util/time.js';
import { measurePollResume } from './fleetResume.js';
import { call } from './httpCall.js';
import { createDatabase } from './inProcessService.js';
import { cpuSeconds, percentile, rssMiB } from './processes.js';
import { registerEndpoints, RequestLoops, sleep, startServiceProcess } from './idleAgents.js';
import { extraServiceNodeArgs } from './serviceNodeFlags.js';

const ENDPOINTS = Number(process.env.FUNCX_BENCH_ENDPOINTS ?? 1000);
/** The measured window (after one poll wait of warm-up); default two poll waits. */
const IDLE_SECONDS = process.env.FUNCX_BENCH_IDLE_SECONDS ? Number(process.env.FUNCX_BENCH_IDLE_SECONDS) : undefined;
const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 5000);
const LATENCY_SAMPLES = Number(process.env.FUNCX_BENCH_LATENCY_SAMPLES ?? 100);
// FUNCX_BENCH_SERVICE_CLI: another build's dist/src/cli/funcx-service.js, to measure the idle case before a change.
const SERVICE_CLI = process.env.FUNCX_BENCH_SERVICE_CLI ?? fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));
/** The endpoint agent's default long-poll wait, in seconds. */
const AGENT_POLL_WAIT_S = parseDuration(DEFAULT_POLL_WAIT)! / 1000;
const PARTS = (process.env.FUNCX_BENCH_FLEET_PARTS ?? 'idle,mariadb,resume').split(',');

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function idleFederation(pollWaitS: number): Promise<{ cpuPercent: number; rssMiB: number; requestsPerS: number }> {
  // FUNCX_BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the idle service.
  const nodeArgs = extraServiceNodeArgs();
  // Defaults otherwise: the rate limits' shared budgets are spent by every poll, as deployed.
  const service = await startServiceProcess({ cli: SERVICE_CLI, nodeArgs });
  const loops = new RequestLoops();
  try {
    const endpoints = await registerEndpoints(service.url, service.token, ENDPOINTS);
    let requests = 0;
    const polling = endpoints.map(async (e) => {
      // Out of step, as agents started at different times are.
      await sleep(Math.random() * pollWaitS * 1000);
      while (!loops.stopped) {
        if (await loops.attempt((signal) => call(service.url, e.credential, 'POST', `/v3/endpoints/${e.id}/lease`, { max_tasks: 1, wait_s: pollWaitS }, signal))) requests += 1;
        else if (!loops.stopped) await sleep(1000);
      }
    });
    await sleep(pollWaitS * 1000 + 2000); // every poll in place, polls out of step
    const cpu0 = cpuSeconds(service.pid);
    const requests0 = requests;
    const t0 = Date.now();
    await sleep((IDLE_SECONDS ?? 2 * pollWaitS) * 1000);
    const elapsed = (Date.now() - t0) / 1000;
    const figures = { cpuPercent: (100 * (cpuSeconds(service.pid) - cpu0)) / elapsed, rssMiB: rssMiB(service.pid), requestsPerS: (requests - requests0) / elapsed };
    if (loops.failures > 0) console.log(`(${loops.failures} polls failed and were retried after 1 s)`);
    loops.stop();
    await Promise.all(polling);
    return figures;
  } finally {
    loops.stop();
    await service.stop();
  }
}

async function startReplicas(url: string, dir: string, count: number): Promise<RunningService[]> {
  const replicas: RunningService[] = [];
  for (let i = 0; i < count; i++) {
    const config = loadConfig({}, { port: 0, home: path.join(dir, `replica-${i}`), databaseUrl: url, logLevel: 'silent', writeQuickstart: i === 0, rateLimitRequests: 0 });
    replicas.push(await startService(config, { logger: createLogger('silent') }));
  }
  return replicas;
}

async function fleetOnMariaDb(): Promise<void> {
  if (!findBinary('mariadbd')) {
    console.log('\nfleet on MariaDB: skipped (mariadbd is not installed)');
    return;
  }
  const server = await startMariaDb();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-fleet-'));
  const rows: string[] = [];
  try {
    for (const replicaCount of [1, 2]) {
      const name = `fleet${replicaCount}`;
      const replicas = await startReplicas(await createDatabase(server.url, name), path.join(dir, name), replicaCount);
      try {
        const token = (JSON.parse(readFileSync(replicas[0].quickstart!.file, 'utf8')) as { token: string }).token;
        const first = replicas[0];
        const pollOn = replicas[replicaCount - 1];
        const fn = await call(first.url, token, 'POST', '/v3/functions', { runtime: 'python', source: 'def f(x):\n    return x\n', entry_point: 'f' });
        const functionId = fn.function_uuid as string;

        // Latency: the poll waits on the last replica, the submit goes through the first.
        const ep = await call(first.url, token, 'POST', '/v3/endpoints', { name: 'latency' });
        const samples: number[] = [];
        for (let i = 0; i < LATENCY_SAMPLES; i++) {
          const polling = call(pollOn.url, ep.credential, 'POST', `/v3/endpoints/${ep.endpoint_id}/lease`, { max_tasks: 1, wait_s: 20 });
          while (pollOn.deps.wakeups.size === 0) await new Promise((resolve) => setTimeout(resolve, 2));
          await call(first.url, token, 'POST', `/v3/endpoints/${ep.endpoint_id}/submit`, { tasks: { [functionId]: ['{"args": [1], "kwargs": {}}'] } });
          const submitted = performance.now();
          const leased = await polling;
          samples.push(performance.now() - submitted);
          await call(pollOn.url, ep.credential, 'POST', `/v3/endpoints/${ep.endpoint_id}/results`, { results: [{ task_id: leased.tasks[0].task_id, lease_token: leased.tasks[0].lease_token, status: 'success', result: '1', result_serializer: 'json' }] });
        }
        samples.sort((a, b) => a - b);

        // Throughput: 4 endpoints on alternate replicas; submits spread over the replicas.
        const endpoints = await Promise.all([0, 1, 2, 3].map((i) => call(first.url, token, 'POST', '/v3/endpoints', { name: `worker-${i}` })));
        let done = 0;
        const stop = new AbortController();
        const workers = endpoints.map(async (e, i) => {
          const replica = replicas[i % replicaCount];
          while (!stop.signal.aborted) {
            let leased: Json;
            try {
              leased = await call(replica.url, e.credential, 'POST', `/v3/endpoints/${e.endpoint_id}/lease`, { max_tasks: 100, wait_s: 5 }, stop.signal);
            } catch {
              continue;
            }
            if (leased.tasks.length === 0) continue;
            await call(replica.url, e.credential, 'POST', `/v3/endpoints/${e.endpoint_id}/results`, {
              results: leased.tasks.map((task: Json) => ({ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '1', result_serializer: 'json' })),
            });
            done += leased.tasks.length;
          }
        });
        const started = performance.now();
        const batches = [];
        for (let i = 0; i < TASKS; i += 500) {
          const tasks = Array.from({ length: Math.min(500, TASKS - i) }, (_, j) => ({ endpoint_id: endpoints[j % 4].endpoint_id, function_id: functionId, payload: '{"args": [1], "kwargs": {}}' }));
          batches.push(call(replicas[(i / 500) % replicaCount].url, token, 'POST', '/v3/submit', { tasks }));
        }
        await Promise.all(batches);
        while (done < TASKS) await new Promise((resolve) => setTimeout(resolve, 10));
        const seconds = (performance.now() - started) / 1000;
        stop.abort();
        await Promise.allSettled(workers);
        const where = replicaCount === 1 ? 'same replica' : 'other replica';
        rows.push(`${String(replicaCount).padStart(8)}   ${(TASKS / seconds).toFixed(0).padStart(8)} tasks/s   ${where.padEnd(13)} ${percentile(samples, 0.5).toFixed(1).padStart(6)} ms ${percentile(samples, 0.99).toFixed(1).padStart(7)} ms`);
      } finally {
        for (const replica of replicas) await replica.close();
      }
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nfleet on MariaDB: ${TASKS} tasks (batches of 500, 4 simulated endpoints leasing 100 at a time), ${LATENCY_SAMPLES} latency samples`);
  console.log('replicas   throughput        submit -> waiting poll on the  median      p99');
  for (const row of rows) console.log(row);
}

export async function runFleetBench(): Promise<void> {
  if (PARTS.includes('idle')) {
    const now = await idleFederation(AGENT_POLL_WAIT_S);
    const before = await idleFederation(20);
    console.log(`\nidle federation: ${ENDPOINTS} endpoints long-polling with no work, SQLite, one service process (default settings), ${IDLE_SECONDS ? `${IDLE_SECONDS} s` : 'two poll waits'} on ${os.availableParallelism()} cores`);
    console.log('configuration                        service CPU   resident   polls answered/s');
    const row = (label: string, f: { cpuPercent: number; rssMiB: number; requestsPerS: number }) =>
      console.log(`${label.padEnd(36)} ${f.cpuPercent.toFixed(1).padStart(6)} %   ${f.rssMiB.toFixed(0).padStart(5)} MiB   ${f.requestsPerS.toFixed(0).padStart(8)}`);
    row(`agent default poll_wait ${DEFAULT_POLL_WAIT}`, now);
    row('poll_wait 20s (the former default)', before);
    console.log('target (issue 14): 1,000 idle endpoints under 5 % of a core and 300 MiB');
  }
  if (PARTS.includes('mariadb')) await fleetOnMariaDb();
  if (PARTS.includes('resume')) await measurePollResume();
}
