/**
 * A round trip's cost, counted at a real TCP proxy in front of the service: a
 * warm run → waitForTasks → getResult is two requests on the one kept-alive
 * connection (got on Node 20's keep-alive agent), and so is an Executor's future.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { Client, Executor } from '../../sdk/index.js';
import { startTcpProxy } from './tcpProxy.js';

const doubled = { runtime: 'python' as const, source: 'def doubled(x):\n    return 2 * x\n', entryPoint: 'doubled' };

serviceTest('a warm round trip is two requests on one connection; the result comes with the wait', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const proxy = await startTcpProxy(t, live.url);
  const client = new Client({ serviceUrl: proxy.url, token: live.adminToken, endpointId: endpoint.endpointId, env: { FUNCX_HOME: live.config.home } });
  const functionId = await client.registerFunction(doubled);
  const roundTrip = async (x: number) => {
    const taskId = await client.run(x, { functionId });
    let pending = [taskId];
    // A 60 s wait answers when the task is done, not at its timeout: one wait per round trip.
    while (pending.length > 0) pending = (await client.waitForTasks(pending, { timeoutS: 60 })).pending;
    return [taskId, await client.getResult(taskId)] as const;
  };
  t.is((await roundTrip(1))[1], 2); // warm: the endpoint's worker started
  const before = { connections: proxy.connections, requests: proxy.requests };
  for (let x = 0; x < 5; x += 1) t.is((await roundTrip(x))[1], 2 * x);
  t.is(proxy.requests - before.requests, 10, 'run + wait per round trip: no third request for the result');
  t.is(proxy.connections - before.connections, 0, 'warm round trips open no connection');

  // A task no wait of this client saw is still asked of the service.
  const [seenId] = await roundTrip(7);
  const other = new Client({ serviceUrl: proxy.url, token: live.adminToken, env: { FUNCX_HOME: live.config.home } });
  const requests = proxy.requests;
  t.is(await other.getResult(seenId), 14);
  t.is(proxy.requests, requests + 1);
});

serviceTest('an Executor future is two requests: its submit and the wait that brings its result', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const proxy = await startTcpProxy(t, live.url);
  const client = new Client({ serviceUrl: proxy.url, token: live.adminToken, env: { FUNCX_HOME: live.config.home } });
  const executor = new Executor({ client, endpointId: endpoint.endpointId, waitTimeoutS: 60 });
  t.teardown(() => executor.shutdown({ wait: false }));
  t.is(await executor.submit<number>(doubled, 1), 2); // warm: registered, worker started
  const before = { connections: proxy.connections, requests: proxy.requests };
  t.is(await executor.submit<number>(doubled, 4), 8);
  t.is(proxy.requests - before.requests, 2);
  t.is(proxy.connections - before.connections, 0);
});
