/**
 * The `funcx` command as a real child process against a real service and
 * endpoint: login, function register/search, run, task get/wait (plain lines,
 * --json, and a progress bar under a pseudo-terminal), endpoint list/status
 * tables, and the exit codes 0 (ok), 1 (remote failure), 2 (usage).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';

const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));

interface Ran { code: number | null; stdout: string; stderr: string }

/** `tty`: stdout and stderr on a pseudo-terminal; a file name: stderr on one, stdout into that file. */
function funcx(live: LiveService, home: string, args: string[], options: { input?: string; env?: Record<string, string>; tty?: boolean | string } = {}): Promise<Ran> {
  // A minimal environment: nothing of the developer's (FUNCX_TOKEN, ~/.funcx) leaks in.
  const env = { PATH: process.env.PATH!, HOME: home, FUNCX_HOME: home, FUNCX_SERVICE_URL: live.url, ...options.env };
  // A pseudo-terminal from python3's standard library (already needed by the workers).
  const inPty = (argv: string[]): [string, string[]] => ['python3', ['-c', 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))', ...argv]];
  const [command, commandArgs] = typeof options.tty === 'string'
    ? inPty(['sh', '-c', 'out="$1"; shift; exec "$@" > "$out"', 'sh', options.tty, process.execPath, FUNCX_CLI, ...args])
    : options.tty
      ? inPty([process.execPath, FUNCX_CLI, ...args])
      : [process.execPath, [FUNCX_CLI, ...args]] as [string, string[]];
  const child = spawn(command, commandArgs as string[], { env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

serviceTest('funcx: login, register, search, run, wait, get, endpoints; exit codes 0, 1 and 2', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const home = path.join(live.database.dir, 'cli-home');
  mkdirSync(home);
  const run = (args: string[], options?: Parameters<typeof funcx>[3]) => funcx(live, home, args, options);

  // Usage: exit 2.
  const bare = await run([]);
  t.is(bare.code, 2);
  t.regex(bare.stderr, /usage: funcx COMMAND/);
  t.is((await run(['frobnicate'])).code, 2);
  t.is((await run(['task', 'get', '--bogus', 'x'])).code, 2);
  const noToken = await run(['endpoint', 'list', '--json']);
  t.is(noToken.code, 2);
  t.is(JSON.parse(noToken.stderr).error.code, 'ConfigurationMissing');
  // In the CLI's words (not the SDK's serviceUrl / token arguments).
  t.regex(JSON.parse(noToken.stderr).error.message, /no token for .*: run `funcx login` \(or set FUNCX_TOKEN\)/);
  const noService = await funcx(live, home, ['endpoint', 'list'], { env: { FUNCX_SERVICE_URL: '' } });
  t.is(noService.code, 2);
  t.regex(noService.stderr, /no service URL: pass --service-url, set FUNCX_SERVICE_URL, run `funcx login`/);
  t.notRegex(noService.stderr, /serviceUrl/);

  // login: a wrong token is refused by the service (exit 1) and not stored; the right one, from stdin, is.
  const refused = await run(['login', '--token', 'fxu_wrong']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /UserUnauthenticated/);
  t.throws(() => statSync(path.join(home, 'credentials.json')));
  const loggedIn = await run(['login'], { input: `${live.adminToken}\n` });
  t.is(loggedIn.code, 0, loggedIn.stderr);
  const credentialsFile = path.join(home, 'credentials.json');
  t.is(statSync(credentialsFile).mode & 0o777, 0o600);
  t.deepEqual(JSON.parse(readFileSync(credentialsFile, 'utf8')), { service_url: live.url, token: live.adminToken });

  // function register / search (from here on the stored token is used).
  writeFileSync(path.join(home, 'double.py'), 'def double(x):\n    return 2 * x\n');
  writeFileSync(path.join(home, 'failing.py'), 'def failing(x):\n    raise ValueError("bad input %s" % x)\n');
  writeFileSync(path.join(home, 'triple.js'), '(x) => 3 * x\n');
  writeFileSync(path.join(home, 'two.py'), 'def one():\n    return 1\n\ndef two():\n    return 2\n');
  const ambiguous = await run(['function', 'register', path.join(home, 'two.py')]);
  t.is(ambiguous.code, 2, 'two top-level functions: --entry-point must say which');
  t.regex(ambiguous.stderr, /defines 2 top-level functions \(one, two\): name the one to call with --entry-point/);
  t.is((await run(['function', 'register', path.join(home, 'double.py'), '--runtime', 'cobol'])).code, 2);
  t.is((await run(['function', 'register', path.join(home, 'double.py'), '--runtime', 'python', '--entry-point', 'double', '--walltime', '5'])).code, 2);
  const registered = await run(['function', 'register', path.join(home, 'double.py'), '--runtime', 'python', '--entry-point', 'double', '--description', 'doubles a number', '--json']);
  t.is(registered.code, 0, registered.stderr);
  const double = JSON.parse(registered.stdout).function_uuid as string;
  const failing = (await run(['function', 'register', path.join(home, 'failing.py'), '--runtime', 'python', '--entry-point', 'failing'])).stdout.trim();
  const triple = (await run(['function', 'register', path.join(home, 'triple.js'), '--runtime', 'javascript'])).stdout.trim();
  t.regex(failing, /^[0-9a-f-]{36}$/);
  const search = await run(['function', 'search', 'doubles']);
  t.is(search.code, 0);
  t.regex(search.stdout, /^function_uuid\s+\| name\s+\| runtime/);
  t.true(search.stdout.includes(double) && search.stdout.includes('(1-1 of 1)'), search.stdout);
  t.is(JSON.parse((await run(['function', 'search', 'doubles', '--json'])).stdout).functions[0].function_uuid, double);

  // run: each argument is JSON.
  const submitted = await run(['run', double, '21', '--endpoint', endpoint.endpointId, '--json']);
  t.is(submitted.code, 0, submitted.stderr);
  const ok = JSON.parse(submitted.stdout).task_id as string;
  const bad = (await run(['run', failing, '"x"', '--endpoint', endpoint.endpointId])).stdout.trim();
  const js = (await run(['run', triple, '5', '--endpoint', endpoint.endpointId])).stdout.trim();
  const notJson = await run(['run', double, 'twenty-one', '--endpoint', endpoint.endpointId]);
  t.is(notJson.code, 2);
  t.regex(notJson.stderr, /argument 1 must be JSON/);

  // task wait, not on a terminal: a plain line per task; a failed task makes it exit 1.
  const waited = await run(['task', 'wait', ok, bad, js]);
  t.is(waited.code, 1);
  const lines = waited.stdout.trim().split('\n').sort();
  t.deepEqual(lines, [`${ok} success 42`, `${bad} failed ValueError: bad input x`, `${js} success 15`].sort());
  const waitedJson = await run(['task', 'wait', ok, js, '--json']);
  t.is(waitedJson.code, 0);
  t.deepEqual(Object.keys(JSON.parse(waitedJson.stdout).done).sort(), [ok, js].sort());
  t.is(JSON.parse(waitedJson.stdout).done[ok].result, '42');
  // --json: the raw result and its serializer are kept, and a JSON result is also given decoded as `value`.
  t.like(JSON.parse(waitedJson.stdout).done[ok], { result: '42', result_serializer: 'json', value: 42 });
  t.like(JSON.parse(waitedJson.stdout).done[js], { result: '15', result_serializer: 'json', value: 15 });
  const gotJson = JSON.parse((await run(['task', 'get', ok, '--json'])).stdout);
  t.like(gotJson, { task_id: ok, status: 'success', result: '42', result_serializer: 'json', value: 42 });
  const failedJson = JSON.parse((await run(['task', 'get', bad, '--json'])).stdout);
  t.false('value' in failedJson, 'a failed task has no value, only its exception');

  // task get: the result, or the exception with its remote traceback (exit 1).
  const got = await run(['task', 'get', ok]);
  t.is(got.code, 0);
  t.is(got.stdout.trim(), `${ok} success 42`);
  const gotFailed = await run(['task', 'get', bad]);
  t.is(gotFailed.code, 1);
  t.regex(gotFailed.stdout, /failed ValueError: bad input x\nTraceback[\s\S]*in failing/);
  const missing = await run(['task', 'get', '00000000-0000-4000-8000-000000000000', '--json']);
  t.is(missing.code, 1);
  t.like(JSON.parse(missing.stderr).error, { code: 'TaskNotFound', status: 404 });

  // On a terminal: a progress bar (redrawn with \r), then a summary table.
  const tty = await run(['task', 'wait', ok, js], { tty: true });
  t.is(tty.code, 0, tty.stdout);
  t.regex(tty.stdout, /\r\[#+-*\] 2\/2 tasks done/);
  t.regex(tty.stdout, /task_id\s+\| status\s+\| result/);
  // stderr a terminal, stdout a file (`funcx task wait ... > out`): the bar on the terminal, plain lines in the file.
  const outFile = path.join(home, 'wait-output.txt');
  const redirected = await run(['task', 'wait', ok, js], { tty: outFile });
  t.is(redirected.code, 0, redirected.stdout);
  t.regex(redirected.stdout, /\r\[#+-*\] 2\/2 tasks done/, 'the bar is drawn on the terminal (stderr)');
  t.deepEqual(readFileSync(outFile, 'utf8').trim().split('\n').sort(), [`${ok} success 42`, `${js} success 15`].sort());

  // Endpoints, as tables and as JSON.
  await waitFor(async () => (await live.call('GET', `/v2/endpoints/${endpoint.endpointId}/status`)).body.logs.length > 0, 'a heartbeat');
  const list = await run(['endpoint', 'list']);
  t.is(list.code, 0);
  t.regex(list.stdout, /^endpoint_id\s+\| name\s+\| status/);
  t.true(list.stdout.includes(endpoint.endpointId));
  t.is(JSON.parse((await run(['endpoint', 'list', '--json'])).stdout)[0].endpoint_id, endpoint.endpointId);
  const status = await run(['endpoint', 'status', endpoint.endpointId]);
  t.is(status.code, 0);
  t.regex(status.stdout, /status\s+\| online/);
  t.regex(status.stdout, /total_workers\s+\| 2/);
  t.is(JSON.parse((await run(['endpoint', 'status', endpoint.endpointId, '--json'])).stdout).status, 'online');
});
