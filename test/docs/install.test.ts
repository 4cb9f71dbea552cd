/**
 * docs/install.md's blocks that need nothing from outside this machine, run with bash as printed
 * (only the service's address, the database URL and the token are substituted): the scientist's
 * Python install into a fresh venv (offline), the login node's configure / start / list / stop of
 * an endpoint against a live service, and the operator's migrate and first token. The npm installs
 * from the tarballs are run, offline, by test/release/packages.install.test.ts.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { packageRoot } from '../../src/util/paths.js';
import { packageVersion } from '../../sdk/version.js';
import { startLiveService } from '../helpers/service.js';
import { ENDPOINT_CLI, runEndpointCli } from '../helpers/endpointProcess.js';
import { codeBlock } from '../helpers/docBlocks.js';

const exec = promisify(execFile);
const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));

/** A scratch HOME with `funcx-endpoint` and `npx funcx-service` on its PATH (as after an install); removed at teardown. */
function userHome(t: ExecutionContext): { home: string; bin: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-install-doc-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const bin = path.join(home, 'bin');
  mkdirSync(bin);
  const shim = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  shim('funcx-endpoint', `exec "${process.execPath}" "${ENDPOINT_CLI}" "$@"`);
  // `npx funcx-service ...` in the operator's block: the repository's bin, as npx finds it there.
  shim('npx', `[ "$1" = funcx-service ] || { echo "npx: only funcx-service here" >&2; exit 2; }; shift; exec "${process.execPath}" "${SERVICE_CLI}" "$@"`);
  return { home, bin };
}

const bash = (script: string, cwd: string, env: Record<string, string>) =>
  exec('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, timeout: 180_000 });

test("docs/install.md: the scientist's Python block installs the client offline into a fresh venv, as printed", async (t) => {
  const { home, bin } = userHome(t);
  const block = codeBlock('docs/install.md', '## The scientist', 'bash', 0);
  t.true(block.includes('pip install --quiet ./sdk/python'));
  // Run from the repository (the block's ./sdk/python), with no package index reachable: PIP_NO_INDEX.
  const { stdout } = await bash(block, packageRoot(), { PATH: `${bin}:${process.env.PATH}`, HOME: home, PIP_NO_INDEX: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' });
  t.is(stdout.trim(), `funcx_ts ${packageVersion()}`);
});

test("docs/install.md: the login node's block configures, starts, lists and stops an endpoint against a live service, as printed", async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const { home, bin } = userHome(t);
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: home, FUNCX_TOKEN: live.adminToken };
  t.teardown(async () => {
    await runEndpointCli(path.join(home, '.funcx'), ['stop', 'my-cluster'], env);
  });
  const block = codeBlock('docs/install.md', '## The login node', 'bash', 1);
  const address = 'https://funcx.example.org';
  t.true(block.includes(address));
  const { stdout } = await bash(block.replace(address, live.url), home, env);
  t.regex(stdout, /^[0-9a-f-]{36} +Running +my-cluster/m, 'list shows the endpoint running before the stop');
  const endpointId = (JSON.parse(readFileSync(path.join(home, '.funcx', 'my-cluster', 'endpoint.json'), 'utf8')) as { endpoint_id: string }).endpoint_id;
  const status = await live.call('GET', `/v2/endpoints/${endpointId}/status`);
  t.is(status.status, 200, 'the endpoint registered with the service');
  const after = await runEndpointCli(path.join(home, '.funcx'), ['list'], env);
  t.regex(after.stdout, /my-cluster/);
  t.notRegex(after.stdout, /Running +my-cluster/, 'stopped by the block');
});

test("docs/install.md: the operator's block migrates a database and prints a first user's token that the service accepts", async (t) => {
  const { home, bin } = userHome(t);
  const block = codeBlock('docs/install.md', '## The operator', 'bash', 0);
  const mysqlUrl = 'mysql://funcx:secret@db.example.org:3306/funcx';
  t.true(block.includes(mysqlUrl));
  const database = path.join(home, 'funcx.sqlite3');
  await bash(block.replace(mysqlUrl, `sqlite://${database}`), home, { PATH: `${bin}:${process.env.PATH}`, HOME: home, FUNCX_HOME: path.join(home, '.funcx') });
  const token = readFileSync(path.join(home, 'alice.token'), 'utf8').trim();
  t.regex(token, /^\S{20,}$/, 'alice.token holds one token');
  // The service on that database accepts it as alice's.
  const live = await startLiveService(t, 'sqlite', { databaseUrl: `sqlite://${database}` });
  const whoami = await live.call('GET', '/v3/tasks', { token });
  t.is(whoami.status, 200, JSON.stringify(whoami.body));
});
