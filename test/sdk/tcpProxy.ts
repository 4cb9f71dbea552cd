/**
 * A real TCP forwarding proxy on port 0, for outage tests: it forwards every
 * connection to the target until `outage()`, then cuts the open ones and
 * resets each new one (counting them, so a test can await "the client tried
 * N times" instead of sleeping), until `resume()`. It counts the connections
 * it forwarded, and the HTTP requests in them (a chunk starting with a request
 * line: got does not pipeline, so each request starts a chunk of its own).
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';

const REQUEST_LINE = /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/\S* HTTP\/1\.1\r\n/;

export interface TcpProxy {
  url: string;
  /** Connections reset since the last outage() began. */
  readonly refused: number;
  /** TCP connections accepted and forwarded. */
  readonly connections: number;
  /** HTTP requests forwarded. */
  readonly requests: number;
  outage(): void;
  resume(): void;
  /** Resolves once `count` connections were reset in this outage. */
  refusedAtLeast(count: number): Promise<void>;
}

export async function startTcpProxy(t: ExecutionContext, targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const open = new Set<net.Socket>();
  let down = false;
  let refused = 0;
  let connections = 0;
  let requests = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (down) {
      refused += 1;
      client.resetAndDestroy();
      for (const waiter of waiters.filter((w) => refused >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    open.add(client);
    client.on('close', () => open.delete(client));
    connections += 1;
    client.on('data', (chunk: Buffer) => {
      if (REQUEST_LINE.test(chunk.subarray(0, 2048).toString('latin1'))) requests += 1;
    });
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of open) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get refused() {
      return refused;
    },
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    outage() {
      down = true;
      refused = 0;
      // Kept-alive connections (and a long-poll in flight) break too, as they would in a real outage.
      for (const socket of open) socket.resetAndDestroy();
    },
    resume() {
      down = false;
    },
    refusedAtLeast(count: number) {
      return refused >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
  };
}
