/**
 * The TypeScript SDK, the `funcx` CLI, `funcx login` and token refresh through
 * a real proxy (tinyproxy) to a service on HTTPS signed by a throwaway CA.
 * Over HTTPS the proxy sees one CONNECT per kept-alive tunnel, so the proof is
 * at the service and the identity provider: tinyproxy's outgoing address is
 * 127.0.0.2, and every request they record came from it; with NO_PROXY naming
 * the service the next request comes from 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { Client, ConfigurationMissing, ServiceUnreachable } from '../../sdk/index.js';
import { login } from '../../sdk/login.js';
import { startHttpsService } from '../helpers/httpsService.js';
import { startTestProvider } from '../helpers/oidcProvider.js';
import { PROXY_OUTGOING_ADDRESS, startTinyproxy, tinyproxyMissing } from '../helpers/proxy.js';
import { requireRealPart } from '../helpers/realPart.js';
import { makeThrowawayCa } from '../helpers/throwawayCa.js';
import { SDK_PYTHON } from '../sdk-python/support.js';

const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));
const noRetry = { retries: 0 };
const runFile = promisify(execFile);

/** The service's request log lines (pino JSON), as a destination for startHttpsService. */
function requestLog() {
  const lines: { path: string; remote?: string }[] = [];
  return {
    lines,
    destination: {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; path?: string; remote?: string };
        if (entry.msg === 'request' && entry.path) lines.push({ path: entry.path, remote: entry.remote });
      },
    },
  };
}

/** An IPv4 address as Node reports it (plain, or IPv4-mapped on a dual-stack socket). */
const ipv4 = (remote: string | undefined) => remote?.replace(/^::ffff:/, '');

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^FUNCX_|_proxy$|_PROXY$|^SSL_CERT_FILE$|^NODE_EXTRA_CA_CERTS$/.test(key)));
  return new Promise((resolve) => {
    execFile(process.execPath, [FUNCX_CLI, ...args], { env: { ...clean, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function tempHome(t: ExecutionContext): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-proxy-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

if (requireRealPart('test/transport/proxy.sdk', tinyproxyMissing())) {
  test('login, token refresh, SDK calls and the funcx CLI all reach the service and the provider from the proxy; NO_PROXY goes direct', async (t) => {
    const ca = makeThrowawayCa(t);
    const provider = await startTestProvider(t);
    const log = requestLog();
    const live = await startHttpsService(t, ca, ['IP:127.0.0.1'], { logDestination: log.destination, overrides: provider.serviceConfig() });
    const proxy = await startTinyproxy(t, [Number(new URL(live.url).port), Number(new URL(provider.issuer).port)]);
    const home = tempHome(t);
    const env = { FUNCX_HOME: home, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, FUNCX_CA_FILE: ca.certFile };
    // Tokens live 30 s, under the SDK's 60 s renewal margin: every later call renews first, at the provider's token endpoint.
    provider.accessTokenTtl.seconds = 30;

    const loggedIn = await login({
      serviceUrl: live.url,
      readSecret: async () => '',
      oidc: { method: 'client_credentials', clientId: 'alice', clientSecret: provider.clientSecret('alice'), showUrl() {}, showDeviceCode() {} },
    }, env);
    t.is(loggedIn.grant, 'client_credentials');
    const tokenCallsAfterLogin = provider.callers.filter((call) => call.path === '/token').length;

    const client = new Client({ env, retry: noRetry });
    t.deepEqual([...await client.listEndpoints()], []);
    const cli = await runCli(['endpoint', 'list', '--json'], env);
    t.is(cli.code, 0, cli.stderr);

    // The client's calls to the provider: discovery (the login's is the first request the provider sees; the service
    // discovers later, at its first introspection, directly) and every /token (the login and each renewal).
    t.is(provider.callers[0]?.path, '/.well-known/openid-configuration');
    t.is(ipv4(provider.callers[0]?.remote), PROXY_OUTGOING_ADDRESS);
    const tokenCalls = provider.callers.filter((call) => call.path === '/token');
    t.true(tokenCalls.length > tokenCallsAfterLogin, 'the token was renewed after the login');
    t.deepEqual([...new Set(tokenCalls.map((call) => ipv4(call.remote)))], [PROXY_OUTGOING_ADDRESS], JSON.stringify(provider.callers));
    t.true(log.lines.some((line) => line.path === '/v2/version'));
    t.true(log.lines.filter((line) => line.path === '/v3/endpoints').length >= 3, 'login check, SDK and CLI each listed endpoints');
    t.deepEqual([...new Set(log.lines.map((line) => ipv4(line.remote)))], [PROXY_OUTGOING_ADDRESS], JSON.stringify(log.lines));

    const before = log.lines.length;
    await new Client({ env: { ...env, NO_PROXY: '127.0.0.1' }, retry: noRetry }).listEndpoints();
    const direct = log.lines.slice(before);
    t.true(direct.length > 0);
    t.deepEqual([...new Set(direct.map((line) => ipv4(line.remote)))], ['127.0.0.1']);
  });

  test('the Python client goes through HTTPS_PROXY trusting SSL_CERT_FILE; NO_PROXY sends it direct; a non-PEM CA file is named', async (t) => {
    const ca = makeThrowawayCa(t);
    const log = requestLog();
    const live = await startHttpsService(t, ca, ['IP:127.0.0.1'], { logDestination: log.destination });
    const proxy = await startTinyproxy(t, [Number(new URL(live.url).port)]);
    const home = tempHome(t);
    const notPem = path.join(home, 'not.pem');
    writeFileSync(notPem, 'not a certificate\n');
    const script = [
      'import os, sys',
      'from funcx_ts import FuncXClient, ConfigurationError',
      'url, token, not_pem = sys.argv[1:4]',
      'print(type(FuncXClient(url, token, max_retries=0).list_endpoints()).__name__)',
      'os.environ["NO_PROXY"] = "127.0.0.1"',
      'print(type(FuncXClient(url, token, max_retries=0).list_endpoints()).__name__)',
      'os.environ["SSL_CERT_FILE"] = not_pem',
      'try:',
      '    FuncXClient(url, token)',
      'except ConfigurationError as error:',
      '    print(error)',
    ].join('\n');
    const env = { PATH: process.env.PATH ?? '', HOME: home, PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1', HTTPS_PROXY: proxy.url, SSL_CERT_FILE: ca.certFile };
    const { stdout } = await runFile('python3', ['-c', script, live.url, live.adminToken, notPem], { env, timeout: 60_000 });
    t.deepEqual(stdout.trim().split('\n'), ['list', 'list', `SSL_CERT_FILE: ${notPem} is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)`]);
    const listed = log.lines.filter((line) => line.path === '/v3/endpoints').map((line) => ipv4(line.remote));
    t.deepEqual(listed, [PROXY_OUTGOING_ADDRESS, '127.0.0.1']);
  });

  test('a wrong CA is refused naming the certificate problem; an unreachable proxy names its setting', async (t) => {
    const ca = makeThrowawayCa(t);
    const otherCa = makeThrowawayCa(t);
    const live = await startHttpsService(t, ca, ['IP:127.0.0.1']);
    const proxy = await startTinyproxy(t, [Number(new URL(live.url).port)]);
    const base = { serviceUrl: live.url, token: live.adminToken, retry: noRetry };

    const wrongCa = await t.throwsAsync(new Client({ ...base, env: { HTTPS_PROXY: proxy.url, FUNCX_CA_FILE: otherCa.certFile } }).listEndpoints(), { instanceOf: ServiceUnreachable });
    t.regex(wrongCa!.message, /the service's TLS certificate was refused \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\) trusting only FUNCX_CA_FILE /);

    await proxy.stop();
    const gone = await t.throwsAsync(new Client({ ...base, env: { HTTPS_PROXY: proxy.url, FUNCX_CA_FILE: ca.certFile } }).listEndpoints(), { instanceOf: ServiceUnreachable });
    t.regex(gone!.message, new RegExp(`ECONNREFUSED .*\\(through the proxy ${proxy.url.replace(/\./g, '\\.')} \\(HTTPS_PROXY\\)\\)$`));
    t.notRegex(gone!.message, /\n/);
  });
}

test('a proxy URL that does not parse and a CA file that is not PEM: one line naming the setting, refused when the client is built (funcx: exit code 2)', async (t) => {
  const home = tempHome(t);
  const notPem = path.join(home, 'ca.pem');
  writeFileSync(notPem, 'this is not a certificate\n');
  const env = { FUNCX_HOME: home, FUNCX_SERVICE_URL: 'https://127.0.0.1:9', FUNCX_TOKEN: 'x' };

  t.throws(() => new Client({ env: { ...env, HTTPS_PROXY: 'http://[not a host' } }), { instanceOf: ConfigurationMissing, message: 'HTTPS_PROXY: "http://[not a host" is not a proxy URL (expected http://host:port)' });
  t.throws(() => new Client({ env: { ...env, https_proxy: 'socks5://127.0.0.1:1080' } }), { instanceOf: ConfigurationMissing, message: /^https_proxy: "socks5:\/\/127\.0\.0\.1:1080" is not a proxy URL: only http:\/\/ and https:\/\/ proxies/ });
  t.throws(() => new Client({ env: { ...env, SSL_CERT_FILE: notPem } }), { instanceOf: ConfigurationMissing, message: `SSL_CERT_FILE: ${notPem} is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)` });

  const badProxy = await runCli(['endpoint', 'list'], { ...env, HTTPS_PROXY: 'http://[not a host' });
  t.is(badProxy.code, 2);
  t.is(badProxy.stderr, 'funcx: HTTPS_PROXY: "http://[not a host" is not a proxy URL (expected http://host:port)\n');
  const missingCa = await runCli(['endpoint', 'list'], { ...env, SSL_CERT_FILE: path.join(home, 'missing.pem') });
  t.is(missingCa.code, 2);
  t.is(missingCa.stderr, `funcx: SSL_CERT_FILE: ${path.join(home, 'missing.pem')} does not exist\n`);
});
