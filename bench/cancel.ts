/**
 * `npm run bench -- cancel`: from a cancel request to the running task's
 * process group being gone, on a local endpoint (issue 23: within 5 s). The
 * service runs in this process (SQLite), the endpoint agent as its own process
 * with its defaults (10 s heartbeats: the cancel watch, not a heartbeat, brings
 * the cancel). Each of FUNCX_BENCH_CANCELS (10) samples starts a Python task
 * that writes its worker's pid and a child's and then blocks; the clock runs
 * from sending POST /v3/tasks/{id}/cancel until both pids are gone (polled
 * every 2 ms), which includes the SIGTERM the group is given first.
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
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService } from '../src/service.js';
import { pidsWritten, processGone } from '../test/helpers/processes.js';
import { percentile } from './processes.js';

const SAMPLES = Number(process.env.FUNCX_BENCH_CANCELS ?? 10);
const ENDPOINT_CLI = fileURLToPath(new URL('../endpoint/cli/funcx-endpoint.js', import.meta.url));
const BLOCKS = 'def blocks(pidfile):\n    import os, subprocess, time\n    child = subprocess.Popen(["sleep", "1000"])\n    with open(pidfile + ".tmp", "w") as f:\n        f.write("%d\\n%d\\n" % (os.getpid(), child.pid))\n    os.rename(pidfile + ".tmp", pidfile)\n    while True:\n        time.sleep(0.05)\n';

export async function runCancelBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-cancel-'));
  const service = await startService(loadConfig({}, { port: 0, home: path.join(dir, 'home'), databaseUrl: `sqlite://${path.join(dir, 'bench.sqlite3')}`, logLevel: 'silent' }), { logger: createLogger('silent') });
  let endpoint: ChildProcess | undefined;
  try {
    const token = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
    const call = async (method: string, urlPath: string, body?: unknown) => {
      const response = await fetch(service.url + urlPath, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const answer = await response.json() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (!response.ok) throw new Error(`${method} ${urlPath}: ${JSON.stringify(answer)}`);
      return answer;
    };
    const home = path.join(dir, 'endpoints');
    const paths = endpointPaths('bench', home);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'bench', serviceUrl: service.url, maxWorkers: 1 })), log_level: 'warn' }));
    endpoint = spawn(process.execPath, [ENDPOINT_CLI, 'start', 'bench'], { env: { ...process.env, FUNCX_HOME: home, FUNCX_TOKEN: token }, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    await until(() => readIdentity(paths) !== undefined, 60_000, 'the endpoint to register');
    const endpointId = readIdentity(paths)!.endpoint_id;
    const fn = (await call('POST', '/v3/functions', { runtime: 'python', source: BLOCKS, entry_point: 'blocks' })).function_uuid as string;
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const pidfile = path.join(dir, `pids-${i}`);
      const submitted = await call('POST', `/v3/endpoints/${endpointId}/submit`, { tasks: { [fn]: [JSON.stringify({ args: [pidfile], kwargs: {} })] } });
      const taskId = submitted.tasks[fn][0] as string;
      await until(() => existsSync(pidfile), 120_000, 'the task to start');
      const pids = pidsWritten(readFileSync(pidfile, 'utf8'), 2)!;
      const started = process.hrtime.bigint();
      await call('POST', `/v3/tasks/${taskId}/cancel`);
      await until(() => pids.every(processGone), 60_000, 'the cancelled task\'s processes to end', 2);
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(`\ncancel: request to process group gone, ${SAMPLES} running Python tasks (a worker and its child each), local endpoint, 10 s heartbeats, ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}`);
    console.log(`  median ${percentile(samples, 0.5).toFixed(0)} ms   p90 ${percentile(samples, 0.9).toFixed(0)} ms   max ${Math.max(...samples).toFixed(0)} ms   (bound: 5000 ms; the SIGTERM grace before SIGKILL is 2000 ms)`);
  } finally {
    if (endpoint?.pid) {
      try {
        process.kill(-endpoint.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(condition: () => boolean, ms: number, what: string, stepMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
