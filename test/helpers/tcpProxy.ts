/**
 * A TCP proxy in front of a live service that can hold requests: a request
 * whose first bytes match `holdWhen` is never forwarded, and neither is
 * anything after it on that connection. Tests use it to freeze a real HTTP
 * call at a known point (e.g. a results post in flight) and observe it
 * arrive, without timing. It can also lose an answer: the first response
 * whose bytes match `dropAnswerWhen` is never delivered and its client
 * connection is cut, while the service's side stays open, as when the
 * service is killed right after it committed the work that answer carried.
 */
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';

export interface TcpProxy {
  url: string;
  /** Requests whose text matches are held (set undefined to forward everything). */
  holdWhen: RegExp | undefined;
  /** Resolves when the first request was held. */
  held: Promise<void>;
  /** The first answer that matches is dropped and its client connection cut (then this is cleared). */
  dropAnswerWhen: RegExp | undefined;
  /** Resolves when an answer was dropped. */
  dropped: Promise<void>;
}

export async function startTcpProxy(t: ExecutionContext, target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let onHeld!: () => void;
  let onDropped!: () => void;
  const proxy: TcpProxy = {
    url: '', holdWhen: undefined, held: new Promise<void>((resolve) => (onHeld = resolve)),
    dropAnswerWhen: undefined, dropped: new Promise<void>((resolve) => (onDropped = resolve)),
  };
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let holding = false;
    let answerLost = false;
    client.on('data', (chunk) => {
      if (holding) return;
      if (proxy.holdWhen?.test(chunk.toString('latin1'))) {
        holding = true;
        onHeld();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (proxy.dropAnswerWhen?.test(chunk.toString('latin1'))) {
        proxy.dropAnswerWhen = undefined;
        answerLost = true;
        upstream.pause(); // the service's side stays open (until teardown): as far as it knows, the answer went out
        client.destroy();
        onDropped();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      sockets.delete(client);
      if (answerLost) return;
      upstream.destroy();
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
