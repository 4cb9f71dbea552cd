/**
 * The one long-poll helper (src/http/longPoll.ts) every waiting route composes: a wake-up
 * is never lost between the look and the wait, a client hanging up frees its watch, the
 * deadline answers the last look, and the watch goes however the poll ends. Each poll here
 * runs inside a real HTTP request on port 0, so "the client hangs up" is a real hang-up.
 */
import test, { type ExecutionContext } from 'ava';
import { getEventListeners } from 'node:events';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { longPoll } from '../../src/http/longPoll.js';
import { Wakeups } from '../../src/wakeups.js';
import { eventually, within } from '../helpers/within.js';

const LONG = 120_000;

/** A server on port 0 whose one request runs `poll(res)`; returns the poll's outcome and a way to send (and drop) that request. */
async function serve<T>(t: ExecutionContext, poll: (res: ServerResponse) => Promise<T>) {
  let resolveOutcome!: (outcome: { value?: T; error?: unknown }) => void;
  const outcome = new Promise<{ value?: T; error?: unknown }>((resolve) => (resolveOutcome = resolve));
  const server = http.createServer((_req, res) => {
    poll(res).then(
      (value) => {
        resolveOutcome({ value });
        res.end(JSON.stringify(value ?? null));
      },
      (error: unknown) => {
        resolveOutcome({ error });
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const request = http.request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/poll' });
  request.on('error', () => {}); // the hang-up test destroys it
  request.end();
  t.teardown(() => request.destroy());
  return { outcome, request };
}

test('a wake-up arriving between the look and the wait is not lost: the next look runs at once, told which key fired', async (t) => {
  const wakeups = new Wakeups();
  const shutdown = new AbortController();
  const looks: (readonly string[] | undefined)[] = [];
  const { outcome } = await serve(t, (res) =>
    longPoll({ wakeups, shutdown: shutdown.signal }, res, {
      waitMs: LONG,
      recheckMs: LONG,
      keys: ['endpoint:a'],
      look: async ({ fired }) => {
        looks.push(fired);
        // A submit lands while the first look reads the database: its wake-up comes before the wait starts.
        if (looks.length === 1) wakeups.notify('endpoint:a');
        return looks.length === 1 ? 'nothing yet' : 'the task';
      },
      done: (found) => found === 'the task',
    }),
  );
  t.deepEqual(await within(30_000, 'the poll answering after the wake-up', outcome), { value: 'the task' });
  t.deepEqual(looks, [undefined, ['endpoint:a']], 'the second look was woken by the key, not by a recheck or the deadline');
  t.is(wakeups.size, 0, 'the watch is gone');
});

test('a client that hangs up ends the wait and frees the watch, long before the deadline', async (t) => {
  const wakeups = new Wakeups();
  const shutdown = new AbortController();
  let looks = 0;
  const { outcome, request } = await serve(t, (res) =>
    longPoll({ wakeups, shutdown: shutdown.signal }, res, {
      waitMs: LONG,
      recheckMs: LONG,
      keys: ['task:a', 'task:b'],
      look: async () => ++looks,
      done: () => false,
    }),
  );
  await eventually(30_000, 'the poll watching its keys', () => wakeups.size === 2);
  request.destroy();
  const ended = await within(30_000, 'the poll ending after the hang-up', outcome);
  t.is(ended.error, undefined);
  t.is(wakeups.size, 0, 'no waiter is left for the keys');
});

test('the deadline answers the last look: once more after the wait by default, without another look when lookAtDeadline is false', async (t) => {
  const wakeups = new Wakeups();
  const shutdown = new AbortController();
  for (const lookAtDeadline of [true, false]) {
    let looks = 0;
    const { outcome } = await serve(t, (res) =>
      longPoll({ wakeups, shutdown: shutdown.signal }, res, {
        waitMs: 200,
        recheckMs: Number.POSITIVE_INFINITY, // only the deadline can end the wait
        keys: ['endpoint:a'],
        lookAtDeadline,
        look: async () => {
          looks += 1;
          return [] as string[];
        },
        done: (found) => found.length > 0,
      }),
    );
    t.deepEqual(await within(30_000, 'the poll answering at its deadline', outcome), { value: [] });
    t.is(looks, lookAtDeadline ? 2 : 1, `lookAtDeadline: ${lookAtDeadline}`);
    t.is(wakeups.size, 0);
  }
});

test('keys given as a function are read again before each look and watched before it runs', async (t) => {
  const wakeups = new Wakeups();
  const shutdown = new AbortController();
  const keySets = [['endpoint:parent'], ['endpoint:parent', 'endpoint:child']];
  let looks = 0;
  const { outcome } = await serve(t, (res) =>
    longPoll({ wakeups, shutdown: shutdown.signal }, res, {
      waitMs: LONG,
      recheckMs: LONG,
      keys: async () => keySets[Math.min(looks, 1)],
      look: async ({ fired }) => {
        looks += 1;
        // The first look is woken by the parent's key; the second's wait only by the child's, which it now watches.
        if (looks === 1) wakeups.notify('endpoint:parent');
        if (looks === 2) wakeups.notify('endpoint:child');
        return fired;
      },
      done: (fired) => fired?.[0] === 'endpoint:child',
    }),
  );
  t.deepEqual(await within(30_000, 'the poll woken by the key read for its second look', outcome), { value: ['endpoint:child'] });
  t.is(looks, 3);
  t.is(wakeups.size, 0, 'both watches are gone');
});

test('the service stopping ends the wait; a look that throws still frees the watch', async (t) => {
  const wakeups = new Wakeups();
  const shutdown = new AbortController();
  let looks = 0;
  const { outcome } = await serve(t, (res) =>
    longPoll({ wakeups, shutdown: shutdown.signal }, res, {
      waitMs: LONG,
      recheckMs: LONG,
      keys: ['task:a'],
      look: async () => {
        looks += 1;
        if (looks === 2) throw new Error('the database went away');
        return looks;
      },
      done: () => false,
    }),
  );
  await eventually(30_000, 'the poll waiting', () => wakeups.size === 1 && looks === 1);
  shutdown.abort();
  const ended = await within(30_000, 'the poll ending on shutdown', outcome);
  t.is((ended.error as Error).message, 'the database went away', 'the look after the stop ran, and its error reached the route');
  t.is(wakeups.size, 0);
});

/**
 * Every link the shutdown signal holds: its abort listeners, and (Node 20) the signals
 * AbortSignal.any made dependent on it, which stay listed after they are collected.
 */
function linksOn(signal: AbortSignal): number {
  const dependants = Object.getOwnPropertySymbols(signal).find((symbol) => String(symbol) === 'Symbol(kDependantSignals)');
  const set = dependants ? (signal as unknown as Record<symbol, Set<unknown> | undefined>)[dependants] : undefined;
  return getEventListeners(signal, 'abort').length + (set?.size ?? 0);
}

test('a poll that has answered (timed out or hung up on) leaves no link on the shutdown signal, which still ends a waiting poll', async (t) => {
  const wakeups = new Wakeups();
  const shutdown = new AbortController();
  const before = linksOn(shutdown.signal);
  const poll = (res: ServerResponse, waitMs: number, key: string) =>
    longPoll({ wakeups, shutdown: shutdown.signal }, res, { waitMs, recheckMs: LONG, keys: [key], look: async () => 'nothing', done: () => false });

  const waiting = await serve(t, (res) => poll(res, LONG, 'endpoint:waiting'));
  await eventually(30_000, 'the first poll waiting', () => wakeups.size === 1);
  const oneWaiting = linksOn(shutdown.signal);
  t.true(oneWaiting > before, 'a waiting poll is linked to the shutdown signal');

  for (let i = 0; i < 3; i++) {
    const timedOut = await serve(t, (res) => poll(res, 20, `endpoint:timed-out-${i}`));
    t.deepEqual(await within(30_000, 'a short poll timing out', timedOut.outcome), { value: 'nothing' });
    const hungUp = await serve(t, (res) => poll(res, LONG, `endpoint:hung-up-${i}`));
    await eventually(30_000, 'a poll waiting to be hung up on', () => wakeups.size === 2);
    hungUp.request.destroy();
    t.deepEqual(await within(30_000, 'the hung-up poll ending', hungUp.outcome), { value: 'nothing' });
  }
  t.is(linksOn(shutdown.signal), oneWaiting, 'the six polls that answered left no listener or dependant signal on the shutdown signal');

  shutdown.abort();
  t.deepEqual(await within(30_000, 'the waiting poll ending at shutdown', waiting.outcome), { value: 'nothing' });
  t.is(wakeups.size, 0);
});
