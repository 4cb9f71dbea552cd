/**
 * The endpoint agent through a real proxy (tinyproxy) to a service on HTTPS
 * signed by a throwaway CA (config.yaml `ca_file`). config.yaml's `proxy`
 * overrides an HTTPS_PROXY that points nowhere; the service's request log
 * shows every agent request (register, lease long-polls, results,
 * heartbeats) arriving from the proxy's outgoing address. The proxy is then
 * killed while the agent polls and started again: the agent reconnects
 * through it and every task submitted meanwhile completes.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startEndpointProcess, runEndpointCli, waitFor } from '../helpers/endpointProcess.js';
import { startHttpsService } from '../helpers/httpsService.js';
import { PROXY_OUTGOING_ADDRESS, startTinyproxy, tinyproxyMissing } from '../helpers/proxy.js';
import { requireRealPart } from '../helpers/realPart.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { makeThrowawayCa } from '../helpers/throwawayCa.js';
import YAML from 'yaml';
import { configTemplate } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';

const DOUBLE = 'def double(x):\n    return 2 * x\n';
const ipv4 = (remote: string | undefined) => remote?.replace(/^::ffff:/, '');

if (requireRealPart('test/transport/proxy.endpoint', tinyproxyMissing())) {
  test('the agent leases, reports and heartbeats through config.yaml\'s proxy, and survives the proxy dying while it polls', async (t) => {
    const ca = makeThrowawayCa(t);
    const lines: { path: string; remote?: string }[] = [];
    const live = await startHttpsService(t, ca, ['IP:127.0.0.1'], {
      logDestination: {
        write(line: string) {
          const entry = JSON.parse(line) as { msg?: string; path?: string; remote?: string };
          if (entry.msg === 'request' && entry.path) lines.push({ path: entry.path, remote: entry.remote });
        },
      },
    });
    const proxy = await startTinyproxy(t, [Number(new URL(live.url).port)]);
    const endpoint = await startEndpointProcess(t, live, {
      config: { ca_file: ca.certFile, proxy: proxy.url },
      env: { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' }, // the config's proxy wins over the environment's
    });
    // The agent's requests: registration and everything under its endpoint but the test's own submits (sent directly).
    const agentLines = () => lines.filter((line) => line.path === '/v3/endpoints' || (line.path.startsWith(`/v3/endpoints/${endpoint.endpointId}/`) && !line.path.endsWith('/submit')));

    const fn = await registerPython(live, DOUBLE, 'double');
    const first = await waitForTasks(live, await submit(live, endpoint.endpointId, fn, [[1], [2]]), 120_000);
    t.deepEqual(Object.values(first).map((task) => task.status), ['success', 'success']);
    await waitFor(() => agentLines().some((line) => line.path.endsWith('/heartbeat')), 'a heartbeat', 60_000);
    for (const kind of ['/lease', '/results', '/heartbeat']) t.true(agentLines().some((line) => line.path.endsWith(kind)), kind);
    t.deepEqual([...new Set(agentLines().map((line) => ipv4(line.remote)))], [PROXY_OUTGOING_ADDRESS], JSON.stringify(agentLines()));

    // The proxy goes away while the agent's long-poll is in its tunnel; tasks submitted now wait for the agent.
    await proxy.stop();
    await waitFor(() => /cannot reach .*through the proxy http:\/\/127\.0\.0\.1:\d+ \(proxy\)/.test(endpoint.output()), 'the agent to fail through the dead proxy', 60_000);
    const during = await submit(live, endpoint.endpointId, fn, [[3], [4], [5]]);
    await proxy.start();
    const second = await waitForTasks(live, during, 180_000);
    t.deepEqual(during.map((id) => second[id].status), ['success', 'success', 'success']);
    t.deepEqual([...new Set(agentLines().map((line) => ipv4(line.remote)))], [PROXY_OUTGOING_ADDRESS]);
    t.is(endpoint.child.exitCode, null, 'the agent kept running');
  });
}

test('funcx-endpoint start refuses a proxy that does not parse and a ca_file that is not PEM, naming the key, before starting anything', async (t) => {
  const ca = makeThrowawayCa(t);
  const home = path.dirname(ca.certFile);
  const paths = endpointPaths('bad-transport', home);
  mkdirSync(paths.dir, { recursive: true });
  const notPem = path.join(home, 'not.pem');
  writeFileSync(notPem, 'not a certificate\n');
  const write = (extra: Record<string, unknown>) => writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'bad-transport', serviceUrl: 'https://127.0.0.1:9' })), ...extra }));

  write({ proxy: 'http://[not a host' });
  const badProxy = await runEndpointCli(home, ['start', 'bad-transport'], { FUNCX_TOKEN: 'x' });
  t.is(badProxy.code, 1);
  t.is(badProxy.stderr, `funcx-endpoint: bad configuration in ${paths.config}:\n  - proxy: "http://[not a host" is not a proxy URL (expected http://host:port)\n`);

  write({ ca_file: notPem });
  const badCa = await runEndpointCli(home, ['start', 'bad-transport'], { FUNCX_TOKEN: 'x' });
  t.is(badCa.code, 1);
  t.is(badCa.stderr, `funcx-endpoint: bad configuration in ${paths.config}:\n  - ca_file: ${notPem} is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)\n`);
  t.false(existsSync(paths.pidfile), 'no pidfile: nothing started');
});
