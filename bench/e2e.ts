/**
 * `npm run bench -- e2e`: the whole path (service, a real local endpoint
 * process, real python3 and node workers) on this machine, SQLite ledger.
 *   - throughput of 10,000 no-op tasks per runtime, submitted in batches of 500
 *   - round trip of one task with warm workers (submit, then long-poll wait)
 *   - the endpoint's memory (agent + workers) with 4 workers: PSS (what it costs) and RSS
 *   - the agent's own CPU time per task (user + system, from /proc: unlike
 *     tasks/s it hardly moves when other work shares the machine)
 *   - the endpoint's lease and results requests per task (the service's HTTP
 *     metrics, on for the bench)
 * FUNCX_BENCH_CPU_PROF=DIR runs the agent under `node --cpu-prof` and stops it
 * gracefully at the end, so its profile lands in DIR.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { cpuSeconds, percentile, processTreeStats } from './processes.js';
import { waitForSuccess } from './waitForSuccess.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService } from '../src/service.js';
import type { ServiceMetrics } from '../src/metrics/serviceMetrics.js';
import { configTemplate } from '../endpoint/config.js';
import { endpointPaths } from '../endpoint/paths.js';
import { readIdentity } from '../endpoint/identity.js';
import { AGENT_NODE_FLAGS } from '../endpoint/agentNodeFlags.js';

const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 10_000);
const BATCH = 500;
const ROUND_TRIPS = Number(process.env.FUNCX_BENCH_ROUND_TRIPS ?? 200);
const WORKERS = 4;

/** The endpoint's lease and results requests the service answered (its HTTP metrics), less `since`. */
async function endpointRequests(metrics: ServiceMetrics, since = { lease: 0, results: 0 }): Promise<{ lease: number; results: number }> {
  const counted = { lease: 0, results: 0 };
  for (const { labels, value } of (await metrics.httpRequests.get()).values) {
    if (labels.route === '/v3/endpoints/:endpoint_id/lease') counted.lease += value;
    if (labels.route === '/v3/endpoints/:endpoint_id/results') counted.results += value;
  }
  return { lease: counted.lease - since.lease, results: counted.results - since.results };
}

export async function runE2eBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-e2e-'));
  const config = loadConfig({}, { port: 0, home: path.join(dir, 'home'), logLevel: 'silent', databaseUrl: `sqlite://${path.join(dir, 'bench.sqlite3')}`, metrics: 'open' });
  const service = await startService(config, { logger: createLogger('silent') });
  const token = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
  const call = async (method: string, urlPath: string, body?: unknown) => {
    const response = await fetch(service.url + urlPath, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await response.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${JSON.stringify(parsed)}`);
    return parsed;
  };

  const home = path.join(dir, 'endpoints');
  const paths = endpointPaths('bench', home);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({
    ...YAML.parse(configTemplate({ name: 'bench', serviceUrl: service.url, maxWorkers: WORKERS })),
    // The default (auto) unless FUNCX_BENCH_PREFETCH says otherwise.
    ...(process.env.FUNCX_BENCH_PREFETCH ? { prefetch: Number(process.env.FUNCX_BENCH_PREFETCH) } : {}),
    log_level: process.env.FUNCX_BENCH_AGENT_LOG_LEVEL ?? 'warn',
  }));
  const cli = fileURLToPath(new URL('../endpoint/cli/funcx-endpoint.js', import.meta.url));
  const profileDir = process.env.FUNCX_BENCH_CPU_PROF;
  const nodeArgs = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : []), ...(process.env.FUNCX_BENCH_AGENT_FLAGS?.split(' ').filter(Boolean) ?? AGENT_NODE_FLAGS)];
  const endpoint = spawn(process.execPath, [...nodeArgs, cli, 'start', 'bench'], {
    env: { ...process.env, FUNCX_HOME: home, FUNCX_TOKEN: token },
    // FUNCX_BENCH_AGENT_LOG=FILE keeps the agent's log (with FUNCX_BENCH_AGENT_LOG_LEVEL=debug: per-task times).
    stdio: ['ignore', process.env.FUNCX_BENCH_AGENT_LOG ? openSync(process.env.FUNCX_BENCH_AGENT_LOG, 'w') : 'ignore', 'inherit'],
    detached: true,
  });
  const killEndpoint = () => {
    try {
      process.kill(-endpoint.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  try {
    for (let i = 0; i < 600 && !readIdentity(paths); i++) await new Promise((r) => setTimeout(r, 100));
    const endpointId = readIdentity(paths)!.endpoint_id;
    const python = (await call('POST', '/v3/functions', { runtime: 'python', source: 'def noop():\n    return None\n', entry_point: 'noop' })).function_uuid;
    const javascript = (await call('POST', '/v3/functions', { runtime: 'javascript', source: 'function noop() { return null }', entry_point: 'noop' })).function_uuid;
    const payload = JSON.stringify({ args: [], kwargs: {} });

    const submitAndWait = async (functionId: string, count: number): Promise<number> => {
      const started = process.hrtime.bigint();
      const ids: string[] = [];
      for (let sent = 0; sent < count; sent += BATCH) {
        const n = Math.min(BATCH, count - sent);
        const answer = await call('POST', `/v3/endpoints/${endpointId}/submit`, { tasks: { [functionId]: Array(n).fill(payload) } });
        ids.push(...answer.tasks[functionId]);
      }
      await waitForSuccess(call, ids);
      return Number(process.hrtime.bigint() - started) / 1e9;
    };

    // Each runtime warmed before it is measured; javascript first, so the memory figure (taken
    // after the python runs) is of an endpoint running python tasks (javascript workers are
    // ended as python ones need their places: at most max_workers processes in all).
    await submitAndWait(javascript, 2 * WORKERS);
    const javascriptSeconds = await submitAndWait(javascript, TASKS);
    await submitAndWait(python, 2 * WORKERS);
    const cpuBefore = cpuSeconds(endpoint.pid!) * 1000;
    const requestsBefore = await endpointRequests(service.deps.metrics!);
    const pythonSeconds = await submitAndWait(python, TASKS);
    const agentCpuPerTask = (cpuSeconds(endpoint.pid!) * 1000 - cpuBefore) / TASKS; // ms, the agent process alone
    const requestsDuring = await endpointRequests(service.deps.metrics!, requestsBefore);

    const roundTrips: number[] = [];
    const phases = roundTripPhases();
    const roundTripCpuBefore = cpuSeconds(endpoint.pid!) * 1000;
    const serviceCpuBefore = process.cpuUsage();
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const startedMs = Date.now();
      const started = process.hrtime.bigint();
      const answer = await call('POST', `/v3/endpoints/${endpointId}/submit`, { tasks: { [python]: [payload] } });
      let pending: string[] = answer.tasks[python];
      const [taskId] = pending;
      while (pending.length > 0) pending = (await call('POST', '/v3/tasks/wait', { task_ids: pending, timeout_s: 30 })).pending;
      roundTrips.push(Number(process.hrtime.bigint() - started) / 1e6);
      const endedMs = Date.now();
      // Read outside the timed part: where the round trip's time went, by the ledger's own clock.
      const record = await call('GET', `/v3/tasks/${taskId}`);
      phases.add(startedMs, record, endedMs);
    }
    const agentCpuPerRoundTrip = (cpuSeconds(endpoint.pid!) * 1000 - roundTripCpuBefore) / ROUND_TRIPS; // ms, the agent process alone
    const serviceCpu = process.cpuUsage(serviceCpuBefore);
    const serviceCpuPerRoundTrip = (serviceCpu.user + serviceCpu.system) / 1000 / ROUND_TRIPS; // ms, this process: the service and the bench's client
    const tree = processTreeStats(endpoint.pid!);
    const agent = processTreeStats(endpoint.pid!, false);
    const workerCount = tree.processes - 1;

    console.log(`\nend to end: service + one local endpoint (${WORKERS} workers, prefetch ${process.env.FUNCX_BENCH_PREFETCH ?? 'auto'}), SQLite, ${os.availableParallelism()} cores`);
    console.log(`  python no-op throughput      ${(TASKS / pythonSeconds).toFixed(0).padStart(8)} tasks/s   (${TASKS} tasks in ${pythonSeconds.toFixed(2)} s)`);
    console.log(`  javascript no-op throughput  ${(TASKS / javascriptSeconds).toFixed(0).padStart(8)} tasks/s   (${TASKS} tasks in ${javascriptSeconds.toFixed(2)} s)`);
    console.log(`  round trip, warm python      median ${percentile(roundTrips, 0.5).toFixed(2)} ms   p99 ${percentile(roundTrips, 0.99).toFixed(2)} ms   (${ROUND_TRIPS} tasks, one at a time)`);
    console.log(`  round trip's phases (medians) ${phases.summary()}`);
    console.log(`  agent CPU per lone round trip ${(agentCpuPerRoundTrip * 1000).toFixed(0).padStart(7)} µs   (user + system of the agent process alone, the waits between included)`);
    console.log(`  service CPU per lone round trip ${(serviceCpuPerRoundTrip * 1000).toFixed(0).padStart(5)} µs   (this process: the service, and the bench's client with its ledger read after each)`);
    console.log(`  endpoint requests per python task  lease ${(requestsDuring.lease / TASKS).toFixed(3)}, results ${(requestsDuring.results / TASKS).toFixed(3)}   (during the python throughput run)`);
    console.log(`  agent CPU per python task    ${(agentCpuPerTask * 1000).toFixed(0).padStart(8)} µs   (user + system of the agent process alone)`);
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    console.log(`  endpoint memory, PSS         ${mib(tree.pssKiB)} (agent ${mib(agent.pssKiB)} and its ${workerCount} worker processes, after the python runs)`);
    console.log(`  endpoint memory, RSS         ${mib(tree.rssKiB)} (agent ${mib(agent.rssKiB)}; counts the workers' shared pages once per process)`);
  } finally {
    if (profileDir) {
      // A graceful stop, so node writes the profile.
      const exited = new Promise((resolve) => endpoint.once('exit', resolve));
      endpoint.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
    }
    killEndpoint();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A lone task's round trip cut at the ledger's timestamps (ms; one machine, one clock):
 * client → stored (submit request), stored → leased (the endpoint's long-poll woken and its
 * lease), leased → completed (lease answer, worker, results post), completed → client (the
 * client's wait woken and answered).
 */
function roundTripPhases() {
  const cuts: Record<'submit' | 'lease' | 'run' | 'answer', number[]> = { submit: [], lease: [], run: [], answer: [] };
  return {
    add(startedMs: number, task: { created_at: string; leased_at: string | null; completed_at: string | null }, endedMs: number) {
      const created = Date.parse(task.created_at);
      const leased = Date.parse(task.leased_at ?? task.created_at);
      const completed = Date.parse(task.completed_at ?? task.leased_at ?? task.created_at);
      cuts.submit.push(created - startedMs);
      cuts.lease.push(leased - created);
      cuts.run.push(completed - leased);
      cuts.answer.push(endedMs - completed);
    },
    summary(): string {
      const median = (values: number[]) => percentile(values, 0.5).toFixed(0);
      return `client→stored ${median(cuts.submit)} ms, stored→leased ${median(cuts.lease)} ms, leased→completed ${median(cuts.run)} ms, completed→client ${median(cuts.answer)} ms`;
    },
  };
}
