/**
 * `npm run bench -- recovery`: how long a backlog takes to drain when the
 * endpoint agent, or the service, is killed with -9 part-way through, against
 * the same backlog with no crash (issue 11: a crash used to cost a whole lease
 * plus the reaper interval, ≈ 69 s for 3,000 tasks that take ≈ 11 s).
 *
 * The service and the agent are separate processes here (not `npm start`'s
 * --local-endpoint, whose endpoint dies with the service), with the service's
 * defaults (60 s lease, 5 s reaper) and an SQLite ledger. Each run submits
 * FUNCX_BENCH_RECOVERY_TASKS (3,000) python no-op tasks; in the crash runs,
 * once a third of them finished the process is killed with SIGKILL (its whole
 * process group) and at once started again, as a supervisor would. The figure
 * is submit to last result; "beyond the work" is its excess over the no-crash run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { configTemplate } from '../endpoint/config.js';
import { endpointPaths } from '../endpoint/paths.js';
import { readIdentity } from '../endpoint/identity.js';
import { freePort } from '../test/helpers/mariadb.js';
import { waitForSuccess, type BenchCall } from './waitForSuccess.js';

const TASKS = Number(process.env.FUNCX_BENCH_RECOVERY_TASKS ?? 3_000);
const WORKERS = 4;
const BATCH = 500;
const SERVICE_CLI = fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));
const ENDPOINT_CLI = fileURLToPath(new URL('../endpoint/cli/funcx-endpoint.js', import.meta.url));

interface Run {
  seconds: number;
  returned: number;
  lost: number;
  maxAttempts: number;
}

export async function runRecoveryBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-recovery-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serviceEnv = {
    ...process.env,
    FUNCX_HOME: path.join(dir, 'home'),
    FUNCX_PORT: String(port),
    FUNCX_DATABASE_URL: `sqlite://${path.join(dir, 'bench.sqlite3')}`,
    FUNCX_LOG_LEVEL: 'warn',
  };
  const home = path.join(dir, 'endpoints');
  const paths = endpointPaths('bench', home);
  let service: ChildProcess | undefined;
  let endpoint: ChildProcess | undefined;
  try {
    service = await startService(serviceEnv, url);
    const token = (JSON.parse(readFileSync(path.join(serviceEnv.FUNCX_HOME, 'quickstart.json'), 'utf8')) as { token: string }).token;
    const call = apiCaller(url, token);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'bench', serviceUrl: url, maxWorkers: WORKERS })), log_level: 'warn' }));
    const startEndpoint = () => spawn(process.execPath, [ENDPOINT_CLI, 'start', 'bench'], {
      env: { ...process.env, FUNCX_HOME: home, FUNCX_TOKEN: token },
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    });
    endpoint = startEndpoint();
    for (let i = 0; i < 600 && !readIdentity(paths); i++) await sleep(100);
    const endpointId = readIdentity(paths)!.endpoint_id;
    const fn = (await call('POST', '/v3/functions', { runtime: 'python', source: 'def noop():\n    return None\n', entry_point: 'noop' })).function_uuid as string;

    const run = async (crash?: () => Promise<void>): Promise<Run> => {
      const started = process.hrtime.bigint();
      const ids: string[] = [];
      for (let sent = 0; sent < TASKS; sent += BATCH) {
        const answer = await call('POST', `/v3/endpoints/${endpointId}/submit`, { tasks: { [fn]: Array(Math.min(BATCH, TASKS - sent)).fill('{"args": [], "kwargs": {}}') } });
        ids.push(...answer.tasks[fn]);
      }
      if (crash) {
        await waitForSuccess(call, ids.slice(0, Math.floor(TASKS / 3)));
        await crash();
      }
      await waitForSuccess(call, ids);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { seconds, ...(await attemptsOf(call, ids)) };
    };

    await run(); // warm: workers started, caches filled
    const baseline = await run();
    const agentKilled = await run(async () => {
      await killGroup(endpoint!);
      endpoint = startEndpoint();
    });
    const serviceKilled = await run(async () => {
      await killGroup(service!);
      service = await startService(serviceEnv, url);
    });

    const line = (label: string, r: Run) => {
      const beyond = r === baseline ? '' : `   ${(r.seconds - baseline.seconds).toFixed(1).padStart(5)} s beyond the work`;
      console.log(`  ${label.padEnd(31)} ${r.seconds.toFixed(1).padStart(6)} s${beyond}   (returned uncounted ${r.returned}, EndpointLost ${r.lost}, most attempts ${r.maxAttempts})`);
    };
    console.log(`\nrecovery: ${TASKS} python no-op tasks, one endpoint (${WORKERS} workers), SQLite, 60 s lease, ${os.availableParallelism()} cores`);
    line('no crash', baseline);
    line('agent killed (-9), restarted', agentKilled);
    line('service killed (-9), restarted', serviceKilled);
  } finally {
    if (endpoint) await killGroup(endpoint);
    if (service) await killGroup(service);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startService(env: NodeJS.ProcessEnv, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVICE_CLI, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) while starting`);
    try {
      if ((await fetch(`${url}/healthz`)).ok && existsSync(path.join(env.FUNCX_HOME!, 'quickstart.json'))) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the service did not start within 60 s');
}

/** SIGKILL to the process and everything in its group (workers); resolves once the leader was reaped. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // gone already
  }
  await exited;
}

type Call = BenchCall;

/** A REST call that rides out the service being down (a crash run restarts it). */
function apiCaller(url: string, token: string): Call {
  return async (method, urlPath, body) => {
    for (let tries = 0; ; tries++) {
      let response: Response;
      try {
        response = await fetch(url + urlPath, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (error) {
        if (tries > 600) throw error;
        await sleep(100);
        continue;
      }
      const parsed = (await response.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (response.status >= 300) throw new Error(`${method} ${urlPath}: ${JSON.stringify(parsed)}`);
      return parsed;
    }
  };
}

/** How many tasks had a lease returned uncounted, or lost one (EndpointLost), and the most attempts any took. */
async function attemptsOf(call: Call, ids: string[]): Promise<Omit<Run, 'seconds'>> {
  const counts = { returned: 0, lost: 0, maxAttempts: 0 };
  for (let i = 0; i < ids.length; i += 1000) {
    const answer = await call('POST', '/v2/batch_status', { task_ids: ids.slice(i, i + 1000) });
    for (const task of Object.values(answer.results) as { attempts?: number; details?: { attempt_history: { reason: string }[] } }[]) {
      const reasons = (task.details?.attempt_history ?? []).map((a) => a.reason);
      if (reasons.includes('LeaseReturned')) counts.returned += 1;
      if (reasons.includes('EndpointLost')) counts.lost += 1;
      counts.maxAttempts = Math.max(counts.maxAttempts, task.attempts ?? 0);
    }
  }
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
