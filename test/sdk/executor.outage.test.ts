/**
 * The Executor through an outage: a real forwarding proxy between the SDK and
 * a live service stops forwarding while a task runs; the future stays pending
 * (tasks are durable on the service) and resolves with the result once the
 * service is reachable again. A permanent refusal still fails the futures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { Client, Executor, UserUnauthenticated } from '../../sdk/index.js';
import { createToken, revokeToken } from '../../src/registry/tokens.js';
import { startTcpProxy } from './tcpProxy.js';

/** Returns 42 once the gate file exists (bounded, so a failed test never holds a worker for long). */
const gated = {
  runtime: 'python' as const,
  source: 'def gated(path):\n    import os, time\n    for _ in range(1200):\n        if os.path.exists(path):\n            return 42\n        time.sleep(0.05)\n    raise TimeoutError(path)\n',
  entryPoint: 'gated',
};

serviceTest('an outage while a task runs leaves its future pending; it resolves once the service is back', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const proxy = await startTcpProxy(t, live.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-outage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gate = path.join(dir, 'gate');
  const client = new Client({ serviceUrl: proxy.url, token: live.adminToken, env: { FUNCX_HOME: live.config.home }, retry: { retries: 1, baseDelayMs: 10 } });
  const transient: unknown[] = [];
  const executor = new Executor({
    client,
    endpointId: endpoint.endpointId,
    waitTimeoutS: 5,
    outageBackoff: { initialMs: 50, maxMs: 200 },
    onTransientError: (error) => transient.push(error),
  });
  t.teardown(() => executor.shutdown({ wait: false }));

  const future = executor.submit<number>(gated, gate);
  const taskId = await future.submitted;
  proxy.outage();
  // Several long-polls failed (each the transport's attempt and its retry): well past where the old waiter gave up.
  // (Raced with the future, so a waiter that gives up fails the test at once rather than hanging it.)
  const settledEarly = future.then(() => 'resolved during the outage', (error: unknown) => `failed during the outage: ${String(error)}`);
  t.is(await Promise.race([proxy.refusedAtLeast(8).then(() => 'pending'), settledEarly]), 'pending');
  t.true(transient.length >= 2, `the waiter reported ${transient.length} transient failures`);
  writeFileSync(gate, ''); // the task finishes while the service is unreachable to the client
  proxy.resume();
  t.is(await future, 42);
  t.is(future.taskId, taskId);
});

serviceTest('a permanent refusal (the token revoked while tasks wait) still fails the futures', async (t, live) => {
  const { tokenId, token } = await createToken(live.db, { identity: 'soon-revoked', groups: [] });
  const client = new Client({ serviceUrl: live.url, token, env: { FUNCX_HOME: live.config.home } });
  // An endpoint that never runs: the tasks stay queued, so only the waiter's next poll can settle them.
  const registered = await live.call('POST', '/v3/endpoints', { token, body: { name: 'never-started' } });
  const executor = new Executor({ client, endpointId: registered.body.endpoint_id as string, waitTimeoutS: 1, onTransientError: () => t.fail('a 401 is not transient') });
  t.teardown(() => executor.shutdown({ wait: false }));
  const futures = [1, 2].map((x) => executor.submit<number>((y: number) => y, x));
  await Promise.all(futures.map((future) => future.submitted));
  t.true(await revokeToken(live.db, tokenId));
  for (const future of futures) await t.throwsAsync(future, { instanceOf: UserUnauthenticated });
});
