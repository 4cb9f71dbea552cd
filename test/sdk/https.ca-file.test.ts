/**
 * Both SDKs over HTTPS to a service whose certificate comes from a throwaway
 * CA: they trust it through a CA file (argument or FUNCX_CA_FILE), refuse it
 * without one (checks stay on), and name a CA file that does not exist.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { Client, ConfigurationMissing, ServiceUnreachable } from '../../sdk/index.js';
import { startHttpsService } from '../helpers/httpsService.js';
import { makeThrowawayCa } from '../helpers/throwawayCa.js';
import { SDK_PYTHON } from '../sdk-python/support.js';

const run = promisify(execFile);
const noRetry = { retries: 0 };

test('TypeScript SDK: trusts the service through caFile or FUNCX_CA_FILE, refuses it without', async (t) => {
  const ca = makeThrowawayCa(t);
  const live = await startHttpsService(t, ca, ['IP:127.0.0.1']);
  const base = { serviceUrl: live.url, token: live.adminToken, retry: noRetry };

  t.true(Array.isArray(await new Client({ ...base, caFile: ca.certFile, env: {} }).listEndpoints()));
  t.true(Array.isArray(await new Client({ ...base, env: { FUNCX_CA_FILE: ca.certFile } }).listEndpoints()));

  const refused = await t.throwsAsync(new Client({ ...base, env: {} }).listEndpoints(), { instanceOf: ServiceUnreachable });
  t.regex(refused!.message, /certificate/i);
  const missing = path.join(path.dirname(ca.certFile), 'nope.pem');
  t.throws(() => new Client({ ...base, env: { FUNCX_CA_FILE: missing } }), { instanceOf: ConfigurationMissing, message: `FUNCX_CA_FILE: ${missing} does not exist` });
});

test('Python client: trusts the service through ca_file or FUNCX_CA_FILE, refuses it without', async (t) => {
  const ca = makeThrowawayCa(t);
  const live = await startHttpsService(t, ca, ['IP:127.0.0.1']);
  const script = [
    'import os, sys',
    'from funcx_ts import FuncXClient, ServiceUnreachable',
    'url, token, ca = sys.argv[1:4]',
    'print(type(FuncXClient(url, token, ca_file=ca).list_endpoints()).__name__)',
    'os.environ["FUNCX_CA_FILE"] = ca',
    'print(type(FuncXClient(url, token).list_endpoints()).__name__)',
    'del os.environ["FUNCX_CA_FILE"]',
    'try:',
    '    FuncXClient(url, token, max_retries=0).list_endpoints()',
    'except ServiceUnreachable as error:',
    '    print("refused", "CERTIFICATE_VERIFY_FAILED" in str(error))',
  ].join('\n');
  const env = { PATH: process.env.PATH, HOME: path.dirname(ca.certFile), PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' };
  const { stdout } = await run('python3', ['-c', script, live.url, live.adminToken, ca.certFile], { env, timeout: 60_000 });
  t.deepEqual(stdout.trim().split('\n'), ['list', 'list', 'refused True']);
});
