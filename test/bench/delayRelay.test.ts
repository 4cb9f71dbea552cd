/**
 * The wan bench's delaying relay, against a real echo server on port 0: every chunk
 * arrives in order and no sooner than the delay each way (plus the handshake round
 * trip on a new connection), the end travels after the data, and connections are counted.
 */
import test from 'ava';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { startDelayRelay } from '../../bench/delayRelay.js';

async function echoServer(t: import('ava').ExecutionContext): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

test('chunks come back in order, one delayed round trip each, after the handshake round trip of a new connection', async (t) => {
  const delayMs = 25;
  const relay = await startDelayRelay({ host: '127.0.0.1', port: await echoServer(t) }, delayMs);
  t.teardown(() => relay.close());
  // Timed from before the connect: the relay's handshake delay starts when it accepts, which a
  // loaded machine may report to this side ('connect') some milliseconds later.
  const first = performance.now();
  const socket = net.connect({ port: relay.port, host: relay.host, allowHalfOpen: true });
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let received = '';
  const answered = (length: number) => new Promise<void>((resolve) => {
    const check = () => {
      if (received.length >= length) resolve();
      else socket.once('data', (chunk: Buffer) => ((received += chunk.toString()), check()));
    };
    check();
  });
  socket.write('a');
  await answered(1);
  // Handshake (2 × delay) before the first byte may leave, then there and back.
  t.true(performance.now() - first >= 4 * delayMs - 1, `first echo after ${performance.now() - first} ms`);
  const second = performance.now();
  for (const letter of 'bcdefgh') socket.write(letter);
  await answered(8);
  t.true(performance.now() - second >= 2 * delayMs - 1);
  t.is(received, 'abcdefgh');
  t.is(relay.httpRequests, 0, 'no HTTP request line went through');
  const ended = once(socket, 'end');
  socket.end();
  await ended; // the echo server's end came back through the relay
  t.is(relay.connections, 1);

  relay.delayMs = 0; // changed while running: a new connection pays nothing
  const quick = net.connect({ port: relay.port, host: relay.host });
  t.teardown(() => quick.destroy());
  await once(quick, 'connect');
  quick.write('z');
  const [echo] = (await once(quick, 'data')) as [Buffer];
  t.is(echo.toString(), 'z');
  t.is(relay.connections, 2);
});
