/**
 * A client a release behind the service: GET /v2/version's minimum versions
 * are read and said (both versions named, "upgrade"), by both SDKs, `funcx
 * login` and the endpoint agent; a version answer of another release's shape
 * (fields missing or of another type) is not an error. The service here is a
 * real HTTP server answering /v2/version as a future release would (today's
 * service serves every version it advertises), with the rest answered 404.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { Client, SdkVersionTooOld } from '../../sdk/index.js';
import { login } from '../../sdk/login.js';
import { compareVersions, versionProblem } from '../../sdk/transport/versionCompat.js';
import { packageVersion } from '../../sdk/version.js';
import { configTemplate } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { runEndpointCli } from '../helpers/endpointProcess.js';
import { SDK_PYTHON } from '../sdk-python/support.js';

async function versionServer(t: ExecutionContext, body: unknown): Promise<string> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/v2/version') response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    else response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'RouteNotFound', reason: 'not here' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const runFile = promisify(execFile);
const FUTURE = { api: '3', version: '99.1.0', min_sdk_version: '99.0.0', min_endpoint_version: '99.0.0', min_ep_version: '99.0.0', auth_mode: 'local' };

test('versions compare by their numbers; a minimum missing or of another shape tells nothing', (t) => {
  t.true(compareVersions('0.1.0', '0.2.0')! < 0);
  t.true(compareVersions('1.10.0', '1.9.9')! > 0);
  t.is(compareVersions('1.2', '1.2.0'), 0);
  t.is(compareVersions('v2.0.0-rc.1', '2.0.0'), 0);
  t.is(compareVersions('unknown', '1.0.0'), undefined);
  t.is(versionProblem({ version: '2.0.0', min_sdk_version: 5 }, 'sdk', '0.1.0', 'x'), undefined);
  t.is(versionProblem('not an object', 'endpoint', '0.1.0', 'x'), undefined);
  t.is(versionProblem({ min_ep_version: '0.0.9' }, 'endpoint', '0.1.0', 'x'), undefined);
  t.is(versionProblem({ min_ep_version: '0.2.0' }, 'endpoint', '0.1.0', 'upgrade it'), 'this endpoint is version 0.1.0, but the service serves endpoints from version 0.2.0 on: upgrade (upgrade it)');
});

test('the SDK and funcx login say the service no longer serves this SDK, naming both versions', async (t) => {
  const url = await versionServer(t, FUTURE);
  const expected = `this SDK is version ${packageVersion()}, but the service 99.1.0 serves SDKs from version 99.0.0 on: upgrade (npm install funcx-ts@latest)`;
  await t.throwsAsync(new Client({ serviceUrl: url, token: 'x', env: {} }).checkVersion(), { instanceOf: SdkVersionTooOld, message: expected });
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-version-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  await t.throwsAsync(login({ serviceUrl: url, token: 'x', readSecret: async () => 'x' }, { FUNCX_HOME: home }), { instanceOf: SdkVersionTooOld, message: expected });

  // Another release's shape (no minimums, extra fields) is read without a schema error.
  const lenient = await versionServer(t, { api: '4', version: '100.0.0', features: ['x'] });
  t.is((await new Client({ serviceUrl: lenient, token: 'x', env: {} }).checkVersion()).version, '100.0.0');
});

test('the Python client says the service no longer serves it, and reads another release\'s shape without error', async (t) => {
  const url = await versionServer(t, FUTURE);
  const lenient = await versionServer(t, { api: '4', version: '100.0.0', min_sdk_version: 7 });
  const script = [
    'import sys',
    'from funcx_ts import FuncXClient, __version__',
    'from funcx_ts.errors import SdkVersionTooOld',
    'try:',
    '    FuncXClient(sys.argv[1], "x").check_version()',
    'except SdkVersionTooOld as error:',
    '    print(error)',
    'print(FuncXClient(sys.argv[2], "x").check_version()["version"])',
  ].join('\n');
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-version-py-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const { stdout } = await runFile('python3', ['-c', script, url, lenient], { env: { PATH: process.env.PATH ?? '', HOME: home, PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000 });
  t.deepEqual(stdout.trim().split('\n'), [`this SDK is version ${packageVersion()}, but the service 99.1.0 serves SDKs from version 99.0.0 on: upgrade (pip install --upgrade funcx-ts)`, '100.0.0'], 'the Python client reports the same version as the packages');
});

test('funcx-endpoint start stops before registering when the service no longer serves its version', async (t) => {
  const url = await versionServer(t, FUTURE);
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-version-ep-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const paths = endpointPaths('old', home);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify(YAML.parse(configTemplate({ name: 'old', serviceUrl: url }))));
  const started = await runEndpointCli(home, ['start', 'old'], { FUNCX_TOKEN: 'x' });
  t.is(started.code, 1);
  t.is(started.stderr.trim().split('\n').at(-1), `funcx-endpoint: this endpoint is version ${packageVersion()}, but the service 99.1.0 serves endpoints from version 99.0.0 on: upgrade (npm install funcx-endpoint@latest on this host, then funcx-endpoint restart)`);
});
