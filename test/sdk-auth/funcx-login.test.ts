/**
 * `funcx login` against a real service in oidc mode and a real OpenID
 * provider, as a real child process: the browser flow (code + PKCE with a
 * loopback redirect) and --device, approved by the test's headless browser;
 * --client-credentials for headless use (and a wrong secret refused). The
 * stored login then works for `funcx endpoint list`, and the TypeScript
 * Client renews an expiring token (and a refused one) with the refresh token,
 * rewriting credentials.json. A token given outright is never renewed; local
 * mode logins are unchanged.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { Client, Executor, LoginExpired, UserUnauthenticated } from '../../sdk/index.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { CLI_CLIENT_ID, browse } from '../helpers/oidcProvider.js';
import { oidcServiceTest } from '../helpers/oidcService.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { SDK_PYTHON, runPythonSuite } from '../sdk-python/support.js';

const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));

interface Running {
  /** Resolves with the first match of `pattern` in stderr, as soon as it is printed. */
  stderrMatch(pattern: RegExp): Promise<RegExpMatchArray>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `funcx ...` as a child process with a minimal environment (nothing of the developer's leaks in); killed if the test ends first. */
function funcx(t: ExecutionContext, live: LiveService, home: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [FUNCX_CLI, ...args], {
    env: { PATH: process.env.PATH!, HOME: home, FUNCX_HOME: home, FUNCX_SERVICE_URL: live.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    for (const watcher of [...watchers]) {
      const match = watcher.pattern.exec(stderr);
      if (match) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(match);
      }
    }
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    done,
    stderrMatch: (pattern) => new Promise((resolve, reject) => {
      const match = pattern.exec(stderr);
      if (match) return resolve(match);
      watchers.push({ pattern, resolve });
      // If the command ends without printing it, fail with what it did print.
      void done.then((ran) => reject(new Error(`funcx exited (${ran.code}) without printing ${pattern}: ${ran.stderr}`)));
    }),
  };
}

function tempHome(t: ExecutionContext): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-login-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

const readCredentials = (home: string) => JSON.parse(readFileSync(path.join(home, 'credentials.json'), 'utf8'));
const fileMode = (home: string) => statSync(path.join(home, 'credentials.json')).mode & 0o777;

/** Who the service thinks the token belongs to: the owner of an endpoint it registers. */
async function ownerOf(live: LiveService, token: string, name: string): Promise<string> {
  const created = await live.call('POST', '/v3/endpoints', { token, body: { name } });
  if (created.status !== 201) throw new Error(`refused: ${JSON.stringify(created.body)}`);
  return (await live.call('GET', `/v3/endpoints/${created.body.endpoint_id}`, { token })).body.owner as string;
}

const withLoginClient = { oidcLoginClientId: CLI_CLIENT_ID };
/**
 * Lifetime of the tokens a test makes expire: the service still takes them (the login verifies its
 * token; a busy machine is slow), yet they are inside the clients' one-minute renewal margin, so
 * the first use renews them. No waiting for a clock.
 */
const EXPIRING_TTL_S = 30;

oidcServiceTest('funcx login --device: the user approves elsewhere; the stored login works for funcx endpoint list', async (t, live, provider) => {
  const home = tempHome(t);
  provider.login.user = 'erin';
  const login = funcx(t, live, home, ['login', '--device', '--json']);
  const [, code] = await login.stderrMatch(/enter the code (\S+)/);
  const [, completeUrl] = await login.stderrMatch(/\(or open (\S+)\)/);
  t.true(completeUrl.startsWith(provider.issuer));
  t.regex(completeUrl, new RegExp(`user_code=${code}`));
  // The person, on another device, opens the link and approves while the CLI polls.
  t.regex(await browse(completeUrl, provider.issuer), /Sign-in Success/);
  const ran = await login.done;
  t.is(ran.code, 0, ran.stderr);
  t.like(JSON.parse(ran.stdout), { service_url: live.url, auth_mode: 'oidc', grant: 'device_code', renewable: true });

  t.is(fileMode(home), 0o600);
  const stored = readCredentials(home);
  t.is(stored.service_url, live.url);
  t.like(stored.oidc, { issuer: provider.issuer, client_id: CLI_CLIENT_ID, grant: 'device_code', token_endpoint: `${provider.issuer}/token`, resource: 'https://funcx.test' });
  t.truthy(stored.oidc.refresh_token);
  t.true(stored.oidc.expires_at > Date.now() / 1000);
  t.is(await ownerOf(live, stored.token, 'erins-endpoint'), 'erin');

  const list = await funcx(t, live, home, ['endpoint', 'list', '--json']).done;
  t.is(list.code, 0, list.stderr);
  t.deepEqual(JSON.parse(list.stdout).map((e: { name: string }) => e.name), ['erins-endpoint']);
}, withLoginClient);

oidcServiceTest('funcx login (browser, code + PKCE): the Client renews the expiring token and a refused one, rewriting credentials.json; a given token is never renewed', async (t, live, provider) => {
  const home = tempHome(t);
  provider.login.user = 'dave';
  provider.accessTokenTtl.seconds = EXPIRING_TTL_S;
  const login = funcx(t, live, home, ['login']);
  const [, url] = await login.stderrMatch(/open this URL in a browser on this machine:\s+(\S+)/);
  const authorize = new URL(url);
  t.is(authorize.searchParams.get('code_challenge_method'), 'S256');
  t.is(authorize.searchParams.get('client_id'), CLI_CLIENT_ID);
  t.regex(authorize.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  t.is(await browse(url, provider.issuer), 'Logged in. You may close this window.\n');
  const ran = await login.done;
  t.is(ran.code, 0, ran.stderr);
  t.regex(ran.stdout, /^logged in to http:\/\/127\.0\.0\.1:\d+; token stored in .*credentials\.json \(renewed automatically when it expires\)/);
  const first = readCredentials(home);
  t.is(first.oidc.grant, 'authorization_code');
  t.true(first.oidc.expires_at <= Date.now() / 1000 + EXPIRING_TTL_S);

  // The Client finds the login in credentials.json (no URL or token given) and renews before its first call.
  provider.accessTokenTtl.seconds = 3600;
  const client = new Client({ env: { FUNCX_HOME: home } });
  t.is(client.config.serviceUrl, live.url);
  const tokenRequests = provider.requests.get('/token') ?? 0;
  const lists = await Promise.all([client.listEndpoints(), client.listEndpoints(), client.listEndpoints()]);
  t.deepEqual(lists.map((list) => [...list]), [[], [], []]);
  t.is(provider.requests.get('/token'), tokenRequests + 1, 'calls made together share one renewal (a rotated refresh token is good once)');
  const renewed = readCredentials(home);
  t.not(renewed.token, first.token);
  t.not(renewed.oidc.refresh_token, first.oidc.refresh_token, 'the provider rotates refresh tokens; the new one is kept');
  t.true(renewed.oidc.expires_at > Date.now() / 1000 + 3000);
  t.is(fileMode(home), 0o600);
  t.is(await ownerOf(live, renewed.token, 'daves-endpoint'), 'dave');
  // Still good: used as is.
  await client.listEndpoints();
  t.is(readCredentials(home).token, renewed.token);

  // A token the service refuses (here: not a token at all) is renewed once and the call goes through.
  writeFileSync(path.join(home, 'credentials.json'), JSON.stringify({ ...renewed, token: 'no-longer-good' }), { mode: 0o600 });
  const afterRefusal = new Client({ env: { FUNCX_HOME: home } });
  t.deepEqual([...await afterRefusal.listEndpoints()].map((e) => e.name), ['daves-endpoint']);
  const replaced = readCredentials(home);
  t.not(replaced.token, 'no-longer-good');
  t.not(replaced.oidc.refresh_token, renewed.oidc.refresh_token);

  // The stored login also serves a new funcx process.
  const list = await funcx(t, live, home, ['endpoint', 'list', '--json']).done;
  t.is(list.code, 0, list.stderr);

  // A token given as an argument is the caller's: refused, and the file is left alone.
  const given = new Client({ serviceUrl: live.url, token: 'not-a-token', env: { FUNCX_HOME: home } });
  await t.throwsAsync(given.listEndpoints(), { instanceOf: UserUnauthenticated });
  t.deepEqual(readCredentials(home), replaced);

  // A login that cannot be renewed (a refresh token the provider does not know) says to log in again, and leaves the file alone.
  const unrenewable = { ...replaced, oidc: { ...replaced.oidc, refresh_token: 'not-a-refresh-token', expires_at: 0 } };
  writeFileSync(path.join(home, 'credentials.json'), JSON.stringify(unrenewable), { mode: 0o600 });
  const expired = await t.throwsAsync(new Client({ env: { FUNCX_HOME: home } }).listEndpoints(), { instanceOf: LoginExpired });
  t.regex(expired!.message, /^refreshing the access token failed \(invalid_grant.*\): run `funcx login` again$/);
  t.deepEqual(readCredentials(home), unrenewable);
  const cli = await funcx(t, live, home, ['endpoint', 'list']).done;
  t.is(cli.code, 1);
  t.regex(cli.stderr, /^funcx: refreshing the access token failed \(invalid_grant.*\): run `funcx login` again\n$/);
}, withLoginClient);

oidcServiceTest('Node and Python processes renewing one stored login at once spend its refresh token once (a lock beside credentials.json)', async (t, live, provider) => {
  const home = tempHome(t);
  provider.login.user = 'gina';
  provider.accessTokenTtl.seconds = EXPIRING_TTL_S;
  const login = funcx(t, live, home, ['login']);
  const [, url] = await login.stderrMatch(/open this URL in a browser on this machine:\s+(\S+)/);
  await browse(url, provider.issuer);
  t.is((await login.done).code, 0);
  const first = readCredentials(home);
  provider.accessTokenTtl.seconds = 3600;
  const tokenRequests = provider.requests.get('/token') ?? 0;

  // Five processes find the expiring login together: three `funcx`, two Python clients. The provider
  // rotates refresh tokens, so a second renewal with the first's refresh token would be refused.
  const python = spawn('sh', ['-c', 'for i in 1 2; do python3 -c "from funcx_ts import FuncXClient; print(len(FuncXClient().list_endpoints()))" & done; wait'], {
    env: { PATH: process.env.PATH!, HOME: home, FUNCX_HOME: home, PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pythonOut = '';
  python.stdout.on('data', (chunk) => (pythonOut += chunk));
  python.stderr.on('data', (chunk) => (pythonOut += chunk));
  const pythonDone = new Promise((resolve) => python.once('close', resolve));
  t.teardown(() => {
    if (python.exitCode === null) python.kill();
  });
  const lists = await Promise.all([1, 2, 3].map(() => funcx(t, live, home, ['endpoint', 'list', '--json']).done));
  await pythonDone;
  for (const list of lists) t.is(list.code, 0, list.stderr);
  t.is(pythonOut, '0\n0\n');
  t.is(provider.requests.get('/token'), tokenRequests + 1, 'one renewal for all five processes');
  const renewed = readCredentials(home);
  t.not(renewed.oidc.refresh_token, first.oidc.refresh_token);
  t.false(existsSync(path.join(home, 'credentials.json.lock')));
}, withLoginClient);

oidcServiceTest('funcx login --client-credentials: headless; a wrong secret is exit 1 with a clear message; renewal runs the grant again', async (t, live, provider) => {
  const home = tempHome(t);
  const asRobot = (secret: string) => ({ FUNCX_CLIENT_ID: 'robot', FUNCX_CLIENT_SECRET: secret });

  const missing = await funcx(t, live, home, ['login', '--client-credentials', '--json']).done;
  t.is(missing.code, 2);
  t.is(JSON.parse(missing.stderr).error.code, 'ConfigurationMissing');

  const wrong = await funcx(t, live, home, ['login', '--client-credentials'], asRobot('not-the-secret')).done;
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /^funcx: the client credentials grant failed \(invalid_client/);
  t.notRegex(wrong.stderr, /\n\s+at /, 'no stack trace for a refused login');
  t.throws(() => statSync(path.join(home, 'credentials.json')));

  provider.accessTokenTtl.seconds = EXPIRING_TTL_S;
  const ok = await funcx(t, live, home, ['login', '--client-credentials', '--json'], asRobot(provider.clientSecret('robot'))).done;
  t.is(ok.code, 0, ok.stderr);
  t.like(JSON.parse(ok.stdout), { grant: 'client_credentials', renewable: true });
  const first = readCredentials(home);
  t.like(first.oidc, { grant: 'client_credentials', client_id: 'robot', scope: 'funcx:all' });
  t.is(first.oidc.refresh_token, undefined);
  t.is(await ownerOf(live, first.token, 'robots-endpoint'), 'robot');

  provider.accessTokenTtl.seconds = 3600;
  const list = await funcx(t, live, home, ['endpoint', 'list', '--json']).done; // no FUNCX_CLIENT_* now: the stored login renews itself
  t.is(list.code, 0, list.stderr);
  t.deepEqual(JSON.parse(list.stdout).map((e: { name: string }) => e.name), ['robots-endpoint']);
  const renewed = readCredentials(home);
  t.not(renewed.token, first.token);
  t.true(renewed.oidc.expires_at > Date.now() / 1000 + 3000);
}, {}, ['robot']);

test('local mode: the OIDC options are refused with a clear message; --token works as before', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const home = tempHome(t);
  const device = await funcx(t, live, home, ['login', '--device']).done;
  t.is(device.code, 2);
  t.regex(device.stderr, /this service uses local tokens, not OpenID Connect/);
  const ok = await funcx(t, live, home, ['login', '--token', live.adminToken]).done;
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(readCredentials(home), { service_url: live.url, token: live.adminToken });
});

oidcServiceTest('the Python client renews an expiring login from funcx_ts login with the refresh token and rewrites credentials.json', async (t, live, provider) => {
  const home = tempHome(t);
  provider.login.user = 'frank';
  provider.accessTokenTtl.seconds = EXPIRING_TTL_S;
  const login = funcx(t, live, home, ['login']);
  const [, url] = await login.stderrMatch(/open this URL in a browser on this machine:\s+(\S+)/);
  await browse(url, provider.issuer);
  const ran = await login.done;
  t.is(ran.code, 0, ran.stderr);
  const created = await live.call('POST', '/v3/endpoints', { token: readCredentials(home).token, body: { name: 'franks-endpoint' } });
  t.is(created.status, 201);
  provider.accessTokenTtl.seconds = 3600;
  const before = readCredentials(home);
  await runPythonSuite(t, live, ['test_stored_login'], { env: { FUNCX_HOME: home, FUNCX_TEST_LOGIN_ENDPOINT: created.body.endpoint_id } });
  const after = readCredentials(home);
  t.not(after.token, before.token);
  t.is(await ownerOf(live, after.token, 'franks-second'), 'frank');
}, withLoginClient);

oidcServiceTest('the Executor runs on the stored login: an expiring token is renewed before the submit; a refused one is replaced by the token another process stored', async (t, live, provider) => {
  const home = tempHome(t);
  provider.login.user = 'grace';
  provider.accessTokenTtl.seconds = EXPIRING_TTL_S;
  const login = funcx(t, live, home, ['login']);
  const [, url] = await login.stderrMatch(/open this URL in a browser on this machine:\s+(\S+)/);
  await browse(url, provider.issuer);
  t.is((await login.done).code, 0);
  const first = readCredentials(home);
  // Her endpoint registers with her (still accepted) token, then works with its own credential.
  const endpoint = await startEndpointProcess(t, live, { env: { FUNCX_TOKEN: first.token } });
  provider.accessTokenTtl.seconds = 3600;

  const executor = new Executor({ endpointId: endpoint.endpointId, env: { FUNCX_HOME: home } });
  t.teardown(() => executor.shutdown({ wait: false, cancelFutures: true }));
  t.is(await executor.submit<number>((x: number) => 2 * x, 21), 42);
  const renewed = readCredentials(home);
  t.not(renewed.token, first.token);

  t.deepEqual([...await new Client({ env: { FUNCX_HOME: home } }).listEndpoints()].map((e) => e.endpoint_id), [endpoint.endpointId]);

  // This Executor starts with a token the service refuses; meanwhile another process stored a good one:
  // on the 401 the file's token is taken, without spending the refresh token.
  const tokenRequests = provider.requests.get('/token') ?? 0;
  writeFileSync(path.join(home, 'credentials.json'), JSON.stringify({ ...renewed, token: 'refused-token' }), { mode: 0o600 });
  const refused = new Executor({ endpointId: endpoint.endpointId, env: { FUNCX_HOME: home } });
  t.teardown(() => refused.shutdown({ wait: false, cancelFutures: true }));
  writeFileSync(path.join(home, 'credentials.json'), JSON.stringify(renewed), { mode: 0o600 }); // "the other process" stores its renewal
  t.is(await refused.submit<number>((x: number) => x + 1, 1), 2);
  t.is(provider.requests.get('/token') ?? 0, tokenRequests, 'the token the other process stored was used, not a refresh');
}, withLoginClient);
