/**
 * The shell blocks a user copies from the README and docs/, run with bash exactly as printed
 * (the tutorials' TypeScript and Python blocks have their own tests in test/sdk/ and
 * test/sdk-python/). Each runs in a folder like the user's after `npm start`: ./.funcx/quickstart.json
 * names the live service, its admin token and a running endpoint; `funcx` and `funcx-endpoint`
 * are on the PATH as after `npm link`. Only SQLite: these test the text, not the database.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { ENDPOINT_CLI, runEndpointCli, startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { codeBlock } from '../helpers/docBlocks.js';

const exec = promisify(execFile);
const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));

interface UserShell {
  dir: string;
  env: Record<string, string>;
  bash(script: string): Promise<{ stdout: string; stderr: string }>;
}

/** A user's folder after `npm start`, and a bash that runs scripts in it (failing on the first failed command). */
async function userShell(t: ExecutionContext, live: LiveService, name: string): Promise<UserShell> {
  const endpoint = await startEndpointProcess(t, live);
  // The blocks end by showing the endpoint's status: let its first heartbeat arrive first.
  await waitFor(async () => (await live.call('GET', `/v2/endpoints/${endpoint.endpointId}/status`)).body.status === 'online', 'the first heartbeat');
  const dir = path.join(live.database.dir, name);
  const bin = path.join(dir, 'bin');
  mkdirSync(path.join(dir, '.funcx'), { recursive: true, mode: 0o700 });
  mkdirSync(bin);
  writeFileSync(path.join(dir, '.funcx', 'quickstart.json'), JSON.stringify({ service_url: live.url, token: live.adminToken, endpoint_id: endpoint.endpointId }), { mode: 0o600 });
  for (const [command, file] of [['funcx', FUNCX_CLI], ['funcx-endpoint', ENDPOINT_CLI]]) {
    writeFileSync(path.join(bin, command), `#!/bin/sh\nexec "${process.execPath}" "${file}" "$@"\n`);
    chmodSync(path.join(bin, command), 0o755);
  }
  // Nothing of the test runner's FUNCX_*; HOME is the folder, so ~/.funcx is the quickstart's folder.
  // FUNCX_SERVICE_URL: `npm start` listens on 127.0.0.1:8080, which the commands assume; here it is port 0.
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: dir, FUNCX_SERVICE_URL: live.url, PYTHONDONTWRITEBYTECODE: '1' };
  return {
    dir,
    env,
    bash: (script) => exec('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: dir, env, timeout: 120_000 }),
  };
}

test("docs/tutorials.md's walk-through over HTTP runs as printed with curl", async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const shell = await userShell(t, live, 'http-walkthrough');
  const block = codeBlock('docs/tutorials.md', '## Walk-through: the tutorial over HTTP', 'bash');
  // The one line that names npm start's address; everything else runs as printed.
  const address = 'U=http://127.0.0.1:8080';
  t.true(block.includes(address), 'the walk-through sets U to npm start\'s address');
  const { stdout } = await shell.bash(block.replace(address, `U=${live.url}`));
  const [wait, task, search, status] = stdout.trim().split('\n').map((line) => JSON.parse(line));
  const taskId = Object.keys(wait.done)[0];
  t.like(wait.done[taskId], { status: 'success', result: '"Hello World!"' });
  t.like(task, { task_id: taskId, status: 'success', result: '"Hello World!"' });
  t.true(search.functions.some((fn: { description?: string }) => fn.description === 'hello world function'), JSON.stringify(search));
  t.is(status.status, 'online');
});

test("docs/cli.md's example and the README's shell block run as printed", async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const shell = await userShell(t, live, 'cli');

  const cli = await shell.bash(codeBlock('docs/cli.md', 'For example, against `npm start`', 'bash'));
  const lines = cli.stdout.trim().split('\n');
  // `task wait` prints each task as it finishes, in whichever order that is.
  t.deepEqual(lines.slice(0, 2).map((line) => line.replace(/^[0-9a-f-]{36} /, '')).sort(), ["success 'abab'", 'success 42']);
  t.like(JSON.parse(lines.slice(2).join('\n')), { status: 'success', value: 8 });
  t.regex(cli.stderr, /funcx: inferred --runtime python \(from \.py\) and --entry-point double \(the file's only top-level function\)/);

  // The README's block starts the user's own endpoint in ~/.funcx/laptop, detached: stop it whatever happens.
  t.teardown(async () => {
    await runEndpointCli(path.join(shell.dir, '.funcx'), ['stop', 'laptop'], shell.env);
  });
  const readme = await shell.bash(codeBlock('README.md', '## From a shell', 'bash'));
  t.regex(readme.stdout, /^[0-9a-f-]{36} success 49$/m);
  t.regex(readme.stdout, /^[0-9a-f-]{36} +Running +laptop$/m);
});
