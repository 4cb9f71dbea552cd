/**
 * Where the SDK finds the service and its token: arguments, then
 * FUNCX_SERVICE_URL / FUNCX_TOKEN, then `funcx login`'s credentials.json,
 * then $FUNCX_HOME/quickstart.json (which a local service writes on first start).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { serviceTest } from '../helpers/service.js';
import { Client, ConfigurationMissing, UserUnauthenticated, resolveConfig } from '../../sdk/index.js';

function tempHome(t: ExecutionContext, files: Record<string, unknown> = {}): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-sdk-config-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(home, name), JSON.stringify(content));
  return home;
}

serviceTest('with nothing but FUNCX_HOME, the client uses the service and token of quickstart.json', async (t, live) => {
  const client = new Client({ env: { FUNCX_HOME: live.config.home } });
  t.is(client.config.serviceUrl, live.url);
  t.is(client.config.sources.token, path.join(live.config.home, 'quickstart.json'));
  t.deepEqual([...await client.listEndpoints()], []);
  // A wrong token is the service's own typed error.
  const stranger = new Client({ token: 'fxu_not-a-token', env: { FUNCX_HOME: live.config.home } });
  const error = await t.throwsAsync(stranger.listEndpoints(), { instanceOf: UserUnauthenticated });
  t.is(error.code, 'UserUnauthenticated');
  t.is(error.status, 401);
});

test('arguments beat the environment, which beats credentials.json, which beats quickstart.json', (t) => {
  const home = tempHome(t, {
    'quickstart.json': { service_url: 'http://127.0.0.1:1/', token: 'fxu_quick', endpoint_id: 'ep-quick' },
    'credentials.json': { service_url: 'http://127.0.0.1:2', token: 'fxu_login' },
  });
  t.like(resolveConfig({ env: { FUNCX_HOME: home } }), { serviceUrl: 'http://127.0.0.1:2', token: 'fxu_login', endpointId: undefined });
  t.like(resolveConfig({ env: { FUNCX_HOME: home, FUNCX_SERVICE_URL: 'http://127.0.0.1:1' } }), { serviceUrl: 'http://127.0.0.1:1', token: 'fxu_quick', endpointId: 'ep-quick' });
  t.like(resolveConfig({ env: { FUNCX_HOME: home, FUNCX_SERVICE_URL: 'http://127.0.0.1:3', FUNCX_TOKEN: 'fxu_env', FUNCX_ENDPOINT_ID: 'ep-env' } }),
    { serviceUrl: 'http://127.0.0.1:3', token: 'fxu_env', endpointId: 'ep-env' });
  t.like(resolveConfig({ serviceUrl: 'http://127.0.0.1:4', token: 'fxu_arg', endpointId: 'ep-arg', env: { FUNCX_HOME: home, FUNCX_SERVICE_URL: 'http://127.0.0.1:3', FUNCX_TOKEN: 'fxu_env' } }),
    { serviceUrl: 'http://127.0.0.1:4', token: 'fxu_arg', endpointId: 'ep-arg', sources: { serviceUrl: 'argument', token: 'argument' } });
});

test('a stored token is never sent to another service', (t) => {
  const home = tempHome(t, { 'quickstart.json': { service_url: 'http://127.0.0.1:1', token: 'fxu_quick' } });
  const error = t.throws(() => resolveConfig({ env: { FUNCX_HOME: home, FUNCX_SERVICE_URL: 'http://127.0.0.1:9' } }), { instanceOf: ConfigurationMissing });
  t.regex(error.message, /no token for http:\/\/127\.0\.0\.1:9/);
});

test('missing or unreadable configuration is a clear error', (t) => {
  const empty = tempHome(t);
  t.throws(() => new Client({ env: { FUNCX_HOME: empty } }), { instanceOf: ConfigurationMissing, message: /no service URL: pass serviceUrl, set FUNCX_SERVICE_URL/ });
  t.throws(() => resolveConfig({ env: { FUNCX_HOME: empty, FUNCX_SERVICE_URL: 'not a url', FUNCX_TOKEN: 'x' } }), { message: /from FUNCX_SERVICE_URL is not a URL/ });
  const broken = tempHome(t);
  writeFileSync(path.join(broken, 'quickstart.json'), '{not json');
  t.throws(() => resolveConfig({ env: { FUNCX_HOME: broken } }), { instanceOf: ConfigurationMissing, message: /quickstart\.json is not valid JSON/ });
});

serviceTest('without FUNCX_HOME, ./.funcx/quickstart.json (where `npm start` writes it) is used, as by the Python client', async (t, live) => {
  // `npm start` run in a folder writes ./.funcx/quickstart.json; the funcx command run in that folder finds it.
  const folder = tempHome(t);
  mkdirSync(path.join(folder, '.funcx'));
  copyFileSync(path.join(live.config.home, 'quickstart.json'), path.join(folder, '.funcx', 'quickstart.json'));
  const cli = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'endpoint', 'list', '--json'], {
    cwd: folder,
    env: { PATH: process.env.PATH, HOME: tempHome(t) },
  });
  t.deepEqual(JSON.parse(stdout), []);
});
