/**
 * Client.call: a function run once, its value answered (its exception re-thrown), counted at a
 * real TCP proxy in front of the service: a warm call is one request, the submit that carries
 * the result back.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { Client, RemoteException, TaskPending } from '../../sdk/index.js';
import { startTcpProxy } from './tcpProxy.js';

const doubled = { runtime: 'python' as const, source: 'def doubled(x):\n    return 2 * x\n', entryPoint: 'doubled' };
const refused = { runtime: 'python' as const, source: 'def refused(x):\n    raise ValueError(f"refused {x}")\n', entryPoint: 'refused' };
const napped = { runtime: 'python' as const, source: 'def napped(s):\n    import time\n    time.sleep(s)\n    return s\n', entryPoint: 'napped' };

serviceTest('a warm call is one request on the kept-alive connection, and answers the value', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const proxy = await startTcpProxy(t, live.url);
  const client = new Client({ serviceUrl: proxy.url, token: live.adminToken, endpointId: endpoint.endpointId, env: { FUNCX_HOME: live.config.home } });
  const functionId = await client.registerFunction(doubled);
  t.is(await client.call(1, { functionId }), 2); // warm: the endpoint's worker started
  const before = { connections: proxy.connections, requests: proxy.requests };
  for (let x = 0; x < 5; x += 1) t.is(await client.call(x, { functionId }), 2 * x);
  t.is(proxy.requests - before.requests, 5, 'the submit answers with the result: no wait, no read');
  t.is(proxy.connections - before.connections, 0);
});

serviceTest('a call re-throws the task\'s exception; past its timeoutS it throws TaskPending naming the task, collected later', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const client = new Client({ serviceUrl: live.url, token: live.adminToken, endpointId: endpoint.endpointId, env: { FUNCX_HOME: live.config.home } });
  const refusedId = await client.registerFunction(refused);
  const thrown = await t.throwsAsync(client.call(7, { functionId: refusedId }), { instanceOf: RemoteException });
  t.regex(thrown!.message, /ValueError: refused 7/);

  const nappedId = await client.registerFunction(napped);
  const pending = await t.throwsAsync(client.call(3, { functionId: nappedId, timeoutS: 1 }), { instanceOf: TaskPending });
  let waiting = [pending!.taskId];
  while (waiting.length > 0) waiting = (await client.waitForTasks(waiting, { timeoutS: 30 })).pending;
  t.is(await client.getResult(pending!.taskId), 3);
});
