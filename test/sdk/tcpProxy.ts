/**
 * A real TCP forwarding proxy on port 0, for outage tests: it forwards every
 * connection to the target until `outage()`, then cuts the open ones and
 * resets each new one (counting them, so a test can await "the client tried
 * N times" instead of sleeping), until `resume()`.
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';

export interface TcpProxy {
  url: string;
  /** Connections reset since the last outage() began. */
  readonly refused: number;
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
