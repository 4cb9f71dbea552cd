/**
 * A bench-only TCP relay that puts a WAN between a server and its clients: every
 * chunk, in each direction, is delivered `delayMs` after it arrived (in order), and
 * a new connection's first bytes wait one more round trip, the TCP handshake a
 * real client pays before it can send. It counts the connections it relayed, so a
 * bench can say how many each side opened.
 */
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

const REQUEST_LINE = /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/\S* HTTP\/1\.1\r\n/;

export interface DelayRelay {
  /** host:port to give clients instead of the server's. */
  host: string;
  port: number;
  /** The delay each way, in ms; changeable while connections are open (later chunks take the new one). */
  delayMs: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** HTTP/1.1 requests relayed so far (chunks from a client that start with a request line; no client here pipelines). */
  readonly httpRequests: number;
  close(): Promise<void>;
}

export async function startDelayRelay(target: { host: string; port: number }, delayMs: number): Promise<DelayRelay> {
  const open = new Set<net.Socket>();
  let connections = 0;
  let httpRequests = 0;
  const delay = () => relay.delayMs;
  // Half-open allowed: an end travels with the delay like any byte, after what was sent before it.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    connections += 1;
    const accepted = performance.now();
    const upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    // SYN, SYN-ACK: the client's first byte leaves one round trip after it connected.
    client.on('data', (chunk: Buffer) => {
      if (REQUEST_LINE.test(chunk.subarray(0, 2048).toString('latin1'))) httpRequests += 1;
    });
    relayDelayed(client, upstream, delay, accepted + 2 * delay());
    relayDelayed(upstream, client, delay, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relay: DelayRelay = {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    delayMs,
    get connections() {
      return connections;
    },
    get httpRequests() {
      return httpRequests;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    }),
  };
  return relay;
}

/**
 * Node's timers fire on whole milliseconds of the event loop's clock, up to about a millisecond
 * late: measured through this relay at 10 ms each way, an echo's round trip took 21.5 ms, not 20,
 * and at 0 ms 2.7 ms. So a timer wakes the relay this long before a chunk is due, and the rest is
 * waited out a turn of the event loop at a time (setImmediate: sockets are still served between
 * turns). That costs at most this much CPU per chunk, while the processes measured wait for it.
 */
const LAST_STRETCH_MS = 1.5;

/** Copies from → to, each chunk (and the end) `delayMs` after it came, never before `notBefore` + `delayMs`, in order. */
function relayDelayed(from: net.Socket, to: net.Socket, delayMs: () => number, notBefore: number): void {
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let scheduled = false;
  const send = (chunk: Buffer | null) => {
    if (to.destroyed) return;
    if (chunk === null) to.end();
    else to.write(chunk);
  };
  const deliver = () => {
    scheduled = false;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) send(queue.shift()!.chunk);
    if (queue.length > 0) schedule(queue[0].due - now);
  };
  const schedule = (waitMs: number) => {
    scheduled = true;
    if (waitMs > LAST_STRETCH_MS) setTimeout(deliver, waitMs - LAST_STRETCH_MS);
    else setImmediate(deliver);
  };
  const enqueue = (chunk: Buffer | null) => {
    const now = performance.now();
    const due = Math.max(now, notBefore) + delayMs();
    // No delay and nothing before it: on its way at once, as a plain proxy would.
    if (due <= now && queue.length === 0) return send(chunk);
    queue.push({ due: Math.max(due, queue.at(-1)?.due ?? 0), chunk });
    if (!scheduled) schedule(queue[0].due - now);
  };
  from.on('data', (chunk: Buffer) => enqueue(chunk));
  from.on('end', () => enqueue(null));
}
