/**
 * `funcx-service` as a real program (node <dist>/src/cli/funcx-service.js, found
 * next to this compiled test so any dist dir works): serve, token create,
 * migrate, config, and refusing a bad configuration. Every child is killed in teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';

const CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function tempHome(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The test's environment without any FUNCX_* of the caller's, plus these. */
function envWith(values: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_')));
  return { ...env, FUNCX_LOG_LEVEL: 'warn', ...values };
}

/** Starts the CLI; teardown kills it if it is still running, and waits for it to go. */
function start(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the CLI to its end; resolves with its exit code and output. */
async function run(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(t, args, env);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** Resolves when the child's output matches; rejects if it exits first or after a generous bound. */
function outputMatching(run: Run, stream: 'stdout' | 'stderr', pattern: RegExp, boundMs = 60_000): Promise<RegExpMatchArray> {
  const text = stream === 'stdout' ? run.stdout : run.stderr;
  const emitter = run.child[stream]!;
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(text());
      if (match) finish(() => resolve(match));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`exited (${code}) before ${pattern}:\n${run.stderr()}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${boundMs} ms:\n${run.stderr()}`))), boundMs);
    function finish(action: () => void): void {
      clearTimeout(timer);
      emitter.off('data', check);
      run.child.off('exit', onExit);
      action();
    }
    // After the stream's own listener (registered in start), so text() already holds the chunk.
    emitter.on('data', check);
    run.child.once('exit', onExit);
    check();
  });
}

/** `serve` until it says where quickstart.json is; returns the file's content. */
async function serve(t: ExecutionContext, env: NodeJS.ProcessEnv): Promise<{ server: Run; quickstart: { service_url: string; token: string; identity: string }; file: string }> {
  const server = start(t, ['serve'], env);
  const [, url, file] = await outputMatching(server, 'stderr', /funcx service at (\S+); credentials for clients in (\S+)\n/);
  const quickstart = JSON.parse(readFileSync(file, 'utf8'));
  t.is(quickstart.service_url, url);
  return { server, quickstart, file };
}

test('serve on FUNCX_PORT=0 writes quickstart.json (0600), answers /healthz, and exits 0 on SIGTERM', async (t) => {
  const home = tempHome(t);
  const { server, quickstart, file } = await serve(t, envWith({ FUNCX_HOME: home, FUNCX_PORT: '0' }));
  t.is(file, path.join(home, 'quickstart.json'));
  t.is(statSync(file).mode & 0o777, 0o600);
  t.regex(quickstart.service_url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(quickstart.service_url, 'http://127.0.0.1:0'); // the port actually bound
  t.is(quickstart.identity, 'admin');
  t.regex(quickstart.token, /^fxu_/);

  const health = await fetch(`${quickstart.service_url}/healthz`);
  t.is(health.status, 200);
  t.like(await health.json(), { status: 'ok' });
  const mine = await fetch(`${quickstart.service_url}/v3/functions`, { headers: { authorization: `Bearer ${quickstart.token}` } });
  t.is(mine.status, 200);

  server.child.kill('SIGTERM');
  t.is(await server.exited, 0);
  t.regex(server.stderr(), /funcx-service: SIGTERM, stopping/);
});

test('token create prints a token that works against the started service, with its groups', async (t) => {
  const home = tempHome(t);
  const env = envWith({ FUNCX_HOME: home, FUNCX_PORT: '0' });
  const { server, quickstart } = await serve(t, env);
  const created = await run(t, ['token', 'create', '--user', 'bob', '--group', 'physics', '--group', 'chemistry'], env);
  t.is(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  t.regex(token, /^fxu_[\w-]{43}$/);
  const call = (method: string, urlPath: string, bearer: string, body?: unknown) => fetch(`${quickstart.service_url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const registered = await call('POST', '/v3/functions', token, { runtime: 'shell', source: 'date' });
  t.is(registered.status, 201);
  const { function_uuid: fn } = (await registered.json()) as { function_uuid: string };
  t.like(await (await call('GET', `/v3/functions/${fn}`, token)).json(), { owner: 'bob' });
  // The groups are bob's: an endpoint shared with physics is his to use.
  const endpoint = await (await call('POST', '/v3/endpoints', quickstart.token, { name: 'shared', allowed_groups: ['physics'] })).json() as { endpoint_id: string };
  t.is((await call('GET', `/v3/endpoints/${endpoint.endpoint_id}`, token)).status, 200);
  t.is((await call('GET', '/v3/functions', 'fxu_made-up')).status, 401);
  server.child.kill('SIGTERM');
  t.is(await server.exited, 0);
});

test('a second start on the same FUNCX_HOME keeps the admin token and updates the URL', async (t) => {
  const home = tempHome(t);
  const env = envWith({ FUNCX_HOME: home, FUNCX_PORT: '0' });
  const first = await serve(t, env);
  first.server.child.kill('SIGTERM');
  t.is(await first.server.exited, 0);
  const { server, quickstart: again, file } = await serve(t, env);
  t.is(file, first.file);
  t.is(again.token, first.quickstart.token);
  t.is(statSync(file).mode & 0o777, 0o600);
  const mine = await fetch(`${again.service_url}/v3/functions`, { headers: { authorization: `Bearer ${first.quickstart.token}` } });
  t.is(mine.status, 200);
  server.child.kill('SIGTERM');
  t.is(await server.exited, 0);
});

test('migrate applies the migrations once, then says the database is up to date', async (t) => {
  const env = envWith({ FUNCX_HOME: tempHome(t) });
  const first = await run(t, ['migrate'], env);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /^applied: \d{14}_\w+/);
  const second = await run(t, ['migrate'], env);
  t.deepEqual([second.code, second.stdout.trim()], [0, 'database is up to date']);
});

test('serve with FUNCX_PORT=notanumber exits non-zero, naming FUNCX_PORT', async (t) => {
  const result = await run(t, ['serve'], envWith({ FUNCX_HOME: tempHome(t), FUNCX_PORT: 'notanumber' }));
  t.is(result.code, 1);
  t.is(result.stderr.trim(), 'funcx-service: invalid configuration:\n  - FUNCX_PORT="notanumber": expected a whole number');
});

test('every configuration problem is reported before anything starts', async (t) => {
  const home = tempHome(t);
  const result = await run(t, ['serve'], envWith({ FUNCX_HOME: home, FUNCX_PORT: '-1', FUNCX_LEASE_TIMEOUT: 'soon' }));
  t.is(result.code, 1);
  t.regex(result.stderr, /FUNCX_PORT="-1": expected a number from 0 to 65535/);
  t.regex(result.stderr, /FUNCX_LEASE_TIMEOUT="soon": expected a duration/);
  t.throws(() => statSync(path.join(home, 'quickstart.json'))); // nothing written
});

test('config lists every option; usage errors exit 2', async (t) => {
  const config = await run(t, ['config'], envWith({}));
  t.is(config.code, 0);
  t.regex(config.stdout, /FUNCX_PORT\s+port\s+default 8080/);
  t.regex(config.stdout, /FUNCX_MAX_PAYLOAD_BYTES/);
  const unknown = await run(t, ['frobnicate'], envWith({}));
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command "frobnicate"/);
  const noUser = await run(t, ['token', 'create'], envWith({ FUNCX_HOME: tempHome(t) }));
  t.is(noUser.code, 2);
  t.regex(noUser.stderr, /usage: funcx-service token create --user NAME/);
  const nothing = await run(t, [], envWith({}));
  t.is(nothing.code, 2);
  t.regex(nothing.stdout, /^usage: funcx-service COMMAND/);
});
