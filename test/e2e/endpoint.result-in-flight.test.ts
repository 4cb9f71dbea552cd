/**
 * Results are posted from memory; only what cannot be posted is spooled. So a
 * result whose post is in flight when the endpoint is killed exists nowhere on
 * disk: its task must be re-run (its lease returned when the endpoint starts
 * again: endpoint.lease-recovery.test.ts), and stored once. A
 * proxy holds the results post, so the kill lands exactly there.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const TAGGED = `def tagged():
    import os
    return os.environ.get("FUNCX_TEST_TAG", "")
`;

serviceTest('kill -9 while a result is being posted: the task is re-run when the endpoint restarts, and its result stored once', async (t, live) => {
  const proxy = await startTcpProxy(t, live.url);
  const first = await startEndpointProcess(t, live, { env: { FUNCX_TEST_TAG: 'first' }, config: { service_url: proxy.url } });
  const fn = await registerPython(live, TAGGED, 'tagged');
  proxy.holdWhen = /^POST \/v3\/endpoints\/[^/]+\/results /;
  const [taskId] = await submit(live, first.endpointId, fn, [[]]);
  await proxy.held; // the worker's result is in the post the proxy holds

  first.signalGroup('SIGKILL');
  await first.exited;
  t.deepEqual(readdirSync(first.paths.spool), [], 'a result in flight was never written to disk');
  proxy.holdWhen = undefined;
  const second = await startEndpointProcess(t, live, { home: path.dirname(first.paths.dir), env: { FUNCX_TEST_TAG: 'second' }, config: { service_url: proxy.url } });
  t.is(second.endpointId, first.endpointId);

  // Far under the 2-minute lease: the restart's reconcile, not the lease's expiry, returned the task.
  const done = await waitForTasks(live, [taskId], 75_000);
  t.is(done[taskId].status, 'success');
  t.is(JSON.parse(done[taskId].result), 'second');
  t.is(done[taskId].attempts, 1);
  t.deepEqual(done[taskId].details.attempt_history.map((a: { reason: string }) => a.reason), ['LeaseReturned']);
}, { leaseTimeout: '120s' });
