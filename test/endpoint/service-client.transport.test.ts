/**
 * The agent's service client on node:http (endpoint/transport/jsonRequest.ts, in place of got):
 * what got did for it and it must still do, against real HTTP servers on port 0. A service
 * behind a path prefix is reached under it; a server that never answers is given up on at the
 * call's timeout; an answer that is not JSON, or that is cut off, is ServiceUnreachable (the
 * loops retry it), never a crash or a hang; an aborted call rejects with the abort's reason.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { ServiceClient } from '../../endpoint/client.js';
import { ServiceUnreachable } from '../../endpoint/errors.js';
import { Connections } from '../../endpoint/transport/connections.js';
import { jsonRequest, JsonRequestFailed } from '../../endpoint/transport/jsonRequest.js';

/** A real server on port 0, closed (with its kept-alive sockets) when the test ends. */
async function serve(t: ExecutionContext, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('service client transport: calls go under the service URL\'s path prefix, with the credential and a JSON body', async (t) => {
  const seen: { method?: string; url?: string; authorization?: string; contentType?: string; body?: unknown }[] = [];
  const url = await serve(t, (req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(text) });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: [{ task_id: 't1', outcome: 'stored' }] }));
    });
  });
  const client = new ServiceClient(`${url}/funcx`);
  const answer = await client.postResults('fxe_cred', 'ep1', [{ task_id: 't1', lease_token: 'lt', status: 'success', result: 'null', result_serializer: 'json' }]);
  t.deepEqual(answer, { results: [{ task_id: 't1', outcome: 'stored' }] });
  t.deepEqual(seen, [{
    method: 'POST',
    url: '/funcx/v3/endpoints/ep1/results',
    authorization: 'Bearer fxe_cred',
    contentType: 'application/json',
    body: { results: [{ task_id: 't1', lease_token: 'lt', status: 'success', result: 'null', result_serializer: 'json' }] },
  }]);
});

test('service client transport: a server that never answers is given up on at the call\'s timeout (ETIMEDOUT)', async (t) => {
  const url = await serve(t, () => {
    // Holds the request open and never answers.
  });
  const connections = new Connections({ env: {} });
  t.teardown(() => connections.close());
  const error = await t.throwsAsync(jsonRequest(connections, new URL(`${url}/v2/version`), { method: 'GET', headers: {}, timeoutMs: 200 }), { instanceOf: JsonRequestFailed });
  t.is(error?.code, 'ETIMEDOUT');
});

test('service client transport: an answer that is not JSON, or one cut off mid-body, is ServiceUnreachable', async (t) => {
  const htmlUrl = await serve(t, (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<html>a proxy\'s error page</html>');
  });
  const notJson = await t.throwsAsync(new ServiceClient(htmlUrl).version(), { instanceOf: ServiceUnreachable });
  t.regex(notJson!.message, /ERR_BODY_PARSE_FAILURE/);

  const cutUrl = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"tasks": [');
    setImmediate(() => res.destroy());
  });
  const cut = await t.throwsAsync(new ServiceClient(cutUrl).version(), { instanceOf: ServiceUnreachable });
  t.regex(cut!.message, /ECONNRESET|aborted|cut off/);
});

test('service client transport: an aborted call rejects with the abort\'s reason', async (t) => {
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  const url = await serve(t, () => arrived());
  const aborting = new AbortController();
  const call = new ServiceClient(url).lease('fxe_cred', 'ep1', 1, 60_000, aborting.signal);
  await requestArrived;
  const reason = new Error('stopping now');
  aborting.abort(reason);
  t.is(await t.throwsAsync(call), reason);
});
