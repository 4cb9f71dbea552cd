/** `funcx-service` as a real program: serve, token create, migrate, and refusing a bad configuration. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { freePort } from '../helpers/mariadb.js';

const CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const run = promisify(execFile);

function tempHome(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('serve writes quickstart.json (0600), answers, honours a token from `token create`, and stops on SIGTERM', async (t) => {
  const home = tempHome(t);
  const port = await freePort();
  const env = { ...process.env, FUNCX_HOME: home, FUNCX_PORT: String(port), FUNCX_LOG_LEVEL: 'warn' };
  const server = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  t.teardown(() => server.kill('SIGKILL'));
  for (let i = 0; i < 600 && !stderr.includes('quickstart.json'); i++) await new Promise((r) => setTimeout(r, 50));
  const quickstartFile = path.join(home, 'quickstart.json');
  t.regex(stderr, new RegExp(`credentials for clients in ${quickstartFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  t.is(statSync(quickstartFile).mode & 0o777, 0o600);
  const quickstart = JSON.parse(readFileSync(quickstartFile, 'utf8'));
  t.is(quickstart.service_url, `http://127.0.0.1:${port}`);

  const { stdout } = await run(process.execPath, [CLI, 'token', 'create', '--user', 'bob', '--group', 'physics'], { env });
  const token = stdout.trim();
  t.regex(token, /^fxu_[\w-]{43}$/);
  const search = await fetch(`${quickstart.service_url}/v3/functions`, { headers: { authorization: `Bearer ${token}` } });
  t.is(search.status, 200);

  server.kill('SIGTERM');
  t.is(await exited, 0);
});

test('migrate applies once, then says the database is up to date', async (t) => {
  const home = tempHome(t);
  const env = { ...process.env, FUNCX_HOME: home };
  t.regex((await run(process.execPath, [CLI, 'migrate'], { env })).stdout, /^applied: 20261125000000_initial/);
  t.is((await run(process.execPath, [CLI, 'migrate'], { env })).stdout.trim(), 'database is up to date');
});

test('a bad configuration stops start-up with exit 1 and names the variable', async (t) => {
  const error = await t.throwsAsync(run(process.execPath, [CLI, 'serve'], { env: { ...process.env, FUNCX_HOME: tempHome(t), FUNCX_PORT: 'eighty' } })) as Error & { code: number; stderr: string };
  t.is(error.code, 1);
  t.is(error.stderr.trim(), 'funcx-service: invalid configuration:\n  - FUNCX_PORT="eighty": expected a whole number');
});

test('usage errors exit 2', async (t) => {
  const error = await t.throwsAsync(run(process.execPath, [CLI, 'frobnicate'])) as Error & { code: number; stderr: string };
  t.is(error.code, 2);
  t.regex(error.stderr, /unknown command "frobnicate"/);
});
