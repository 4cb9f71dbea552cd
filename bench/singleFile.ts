/**
 * `npm run bench -- sea`: start -> connected for the single-file endpoint (release/funcx-endpoint-linux-x64,
 * built by `npm run release` first) against the npm install's `node dist/endpoint/cli/funcx-endpoint.js`,
 * issue 19's budget being under 2 s. One service (SQLite); each form is configured and registered once,
 * then started in the foreground FUNCX_BENCH_SEA_RUNS (5) times; a run's figure is spawn to the agent's
 * "endpoint started" line (registered, polling), after which it is stopped with SIGTERM. The single
 * file's first start also unpacks its data files under FUNCX_HOME; it is reported on its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/mariadb.js';

const RUNS = Number(process.env.FUNCX_BENCH_SEA_RUNS ?? 5);
const SERVICE_CLI = fileURLToPath(new URL('../src/cli/funcx-service.js', import.meta.url));
const ENDPOINT_CLI = fileURLToPath(new URL('../endpoint/cli/funcx-endpoint.js', import.meta.url));
const SINGLE_FILE = fileURLToPath(new URL('../../release/funcx-endpoint-linux-x64', import.meta.url));

/** Milliseconds from spawn to "endpoint started"; then stops the agent and waits for its exit. */
async function startToConnected(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const begun = performance.now();
  const child = spawn(command[0], [...command.slice(1), 'start', 'bench'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  const started = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('"msg":"endpoint started"')) resolve(performance.now() - begun);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the endpoint exited (${code}) before it started:\n${output}`)));
  });
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  return started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function runSingleFileBench(): Promise<void> {
  if (!existsSync(SINGLE_FILE)) throw new Error(`${SINGLE_FILE} is missing: run npm run release first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-sea-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serviceHome = path.join(dir, 'service');
  const service = spawn(process.execPath, [SERVICE_CLI, 'serve'], {
    env: { ...process.env, FUNCX_HOME: serviceHome, FUNCX_PORT: String(port), FUNCX_DATABASE_URL: `sqlite://${path.join(dir, 'bench.sqlite3')}`, FUNCX_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  try {
    for (let i = 0; ; i++) {
      if (i > 600 || service.exitCode !== null) throw new Error('the service did not start');
      if (existsSync(path.join(serviceHome, 'quickstart.json')) && (await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const token = (JSON.parse(readFileSync(path.join(serviceHome, 'quickstart.json'), 'utf8')) as { token: string }).token;
    const forms: [string, string[]][] = [['npm install (node + script)', [process.execPath, ENDPOINT_CLI]], ['single file', [SINGLE_FILE]]];
    console.log(`start -> connected ("endpoint started"), median of ${RUNS} starts after the first:`);
    for (const [label, command] of forms) {
      const env = { ...process.env, FUNCX_HOME: path.join(dir, label.replace(/\W+/g, '-')), FUNCX_TOKEN: token, FUNCX_LOG_LEVEL: 'info' };
      const configured = spawnSync(command[0], [...command.slice(1), 'configure', 'bench', '--service-url', url], { env, encoding: 'utf8' });
      if (configured.status !== 0) throw new Error(`configure failed: ${configured.stderr}`);
      const first = await startToConnected(command, env);
      const runs: number[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await startToConnected(command, env));
      console.log(`  ${label.padEnd(28)} ${(median(runs) / 1000).toFixed(2)} s (first start, registering${label === 'single file' ? ' and unpacking' : ''}: ${(first / 1000).toFixed(2)} s)`);
    }
  } finally {
    try {
      process.kill(-service.pid!, 'SIGTERM');
    } catch {
      // gone
    }
    await new Promise((resolve) => (service.exitCode !== null ? resolve(null) : service.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}
