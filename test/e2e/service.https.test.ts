/**
 * The service serving HTTPS itself, with a throwaway CA and certificate checks
 * on: the endpoint agent trusts it through its ca_file and runs a task; without
 * that CA, or with a certificate for another name, it refuses to talk.
 */
import test from 'ava';
import { startHttpsService } from '../helpers/httpsService.js';
import { makeThrowawayCa } from '../helpers/throwawayCa.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { ServiceClient } from '../../endpoint/client.js';
import { ServiceUnreachable } from '../../endpoint/errors.js';

test('over HTTPS: an endpoint agent trusting the CA file runs a task; the service says https in its URL', async (t) => {
  const ca = makeThrowawayCa(t);
  const live = await startHttpsService(t, ca, ['IP:127.0.0.1']);
  t.regex(live.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const agent = await startEndpointProcess(t, live, { config: { ca_file: ca.certFile } });
  const fn = await registerPython(live, 'def square(x):\n    return x * x\n', 'square');
  const [taskId] = await submit(live, agent.endpointId, fn, [[12]]);
  t.like((await waitForTasks(live, [taskId]))[taskId], { status: 'success', result: '144' });
});

test('over HTTPS: without the CA, or for a certificate naming another host, the agent refuses the connection', async (t) => {
  const ca = makeThrowawayCa(t);
  const live = await startHttpsService(t, ca, ['IP:127.0.0.1']);
  const body = { name: 'ep' };
  const untrusting = new ServiceClient(live.url);
  const unknownCa = await t.throwsAsync(untrusting.register(live.adminToken, body), { instanceOf: ServiceUnreachable });
  t.regex(unknownCa!.message, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/);
  // The same service through its CA: accepted.
  t.truthy((await new ServiceClient(live.url, { caFile: ca.certFile }).register(live.adminToken, body)).credential);
  // Plain HTTP to the HTTPS port gets no API answer.
  await t.throwsAsync(fetch(live.url.replace('https:', 'http:') + '/v2/version').then((r) => r.json()));

  const misnamed = await startHttpsService(t, ca, ['DNS:other.example']);
  const wrongName = await t.throwsAsync(new ServiceClient(misnamed.url, { caFile: ca.certFile }).register(misnamed.adminToken, body), { instanceOf: ServiceUnreachable });
  t.regex(wrongName!.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
});

test('TLS options: both files or neither, and readable', async (t) => {
  const { loadConfig } = await import('../../src/config.js');
  const { ConfigError } = await import('../../src/errors.js');
  const half = t.throws(() => loadConfig({ FUNCX_TLS_CERT_FILE: '/nonexistent/cert.pem' }), { instanceOf: ConfigError });
  t.deepEqual(half?.problems, [
    'FUNCX_TLS_CERT_FILE and FUNCX_TLS_KEY_FILE: give both (HTTPS) or neither (HTTP)',
    'FUNCX_TLS_CERT_FILE="/nonexistent/cert.pem": cannot be read',
  ]);
  const timeouts = t.throws(() => loadConfig({ FUNCX_HEADERS_TIMEOUT: '2m', FUNCX_REQUEST_TIMEOUT: '1m' }), { instanceOf: ConfigError });
  t.deepEqual(timeouts?.problems, ['FUNCX_HEADERS_TIMEOUT: must not be longer than FUNCX_REQUEST_TIMEOUT']);
});
