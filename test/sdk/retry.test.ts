/**
 * Retries against a real (tiny) HTTP server on port 0 that answers as a
 * struggling service would: 503 with Retry-After, 429, reset connections, then
 * success. The server counts the attempts and times the gaps between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Client, DatabaseUnavailable, ServiceUnreachable } from '../../sdk/index.js';
import type { RetryPolicy } from '../../sdk/http.js';

interface Seen { method: string; url: string; at: number; idempotencyKey?: string }

/** A server whose handler gets the request's 0-based number; returns its URL and what it saw. */
async function flakyServer(t: ExecutionContext, handler: (n: number, req: IncomingMessage, res: ServerResponse) => void, retry: Partial<RetryPolicy> = { baseDelayMs: 10 }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, at: performance.now(), idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      handler(seen.length - 1, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-sdk-retry-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new Client({ serviceUrl: url, token: 'fxu_test', env: { FUNCX_HOME: home }, retry });
  return { seen, client, url, home };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
/** Milliseconds between consecutive attempts, as the server saw them. */
const gaps = (seen: Seen[]) => seen.slice(1).map((s, i) => s.at - seen[i].at);
/** Timers and clocks round to the millisecond: a wait of d ms may measure a hair under d. */
const CLOCK_SLACK_MS = 2;

const unavailable = { code: 'DatabaseUnavailable', reason: 'the database is unavailable (request r1)', http_status_code: 503 };
const task = { task_id: '0b9f0b9f-0b9f-4b9f-8b9f-0b9f0b9f0b9f', status: 'success', pending: false, result: '42', result_serializer: 'json' };

test('a read answered 503 with Retry-After is retried after the time asked', async (t) => {
  const { seen, client } = await flakyServer(t, (n, _req, res) => (n === 0 ? json(res, 503, unavailable, { 'retry-after': '1' }) : json(res, 200, task)));
  t.is(await client.getResult(task.task_id), 42);
  t.is(seen.length, 2);
  t.deepEqual(seen.map((s) => `${s.method} ${s.url}`), [`GET /v2/tasks/${task.task_id}`, `GET /v2/tasks/${task.task_id}`]);
  t.true(gaps(seen)[0] >= 1000 - CLOCK_SLACK_MS, `retried after ${gaps(seen)[0]} ms, before Retry-After: 1`);
});

test('429 and 502 are retried with backoff; a submit is retried with the same Idempotency-Key', async (t) => {
  const { seen, client } = await flakyServer(t, (n, _req, res) => {
    if (n === 0) return json(res, 429, { code: 'TooManyRequests', reason: 'slow down' });
    if (n === 1) return json(res, 502, 'bad gateway');
    json(res, 200, { request_id: 'r', task_group_id: 'g', endpoint_id: 'e', tasks: { f: [task.task_id] } });
  });
  t.is(await client.run(1, { functionId: 'f', endpointId: 'e' }), task.task_id);
  t.is(seen.length, 3);
  t.truthy(seen[0].idempotencyKey);
  t.true(seen.every((s) => s.idempotencyKey === seen[0].idempotencyKey), 'one key for every attempt: a replay creates nothing twice');
});

test('a call that is not idempotent (registering a function) is sent once, and the typed error comes back', async (t) => {
  const { seen, client } = await flakyServer(t, (_n, _req, res) => json(res, 503, unavailable, { 'retry-after': '0', 'x-request-id': 'r1' }));
  const error = await t.throwsAsync(client.registerFunction((x: number) => x), { instanceOf: DatabaseUnavailable });
  t.is(error.code, 'DatabaseUnavailable');
  t.is(error.status, 503);
  t.is(error.requestId, 'r1');
  t.is(seen.length, 1);
});

test('retries end: after the last one the error is thrown', async (t) => {
  const { seen, client } = await flakyServer(t, (_n, _req, res) => json(res, 503, unavailable, { 'retry-after': '0' }));
  await t.throwsAsync(client.getTask(task.task_id), { instanceOf: DatabaseUnavailable });
  t.is(seen.length, 5); // the first attempt and 4 retries
});

test('without Retry-After the gaps between attempts follow the exponential backoff: at least half of base, 2x, 4x, 8x', async (t) => {
  const baseDelayMs = 100;
  const { seen, client } = await flakyServer(t, (n, _req, res) => (n < 4 ? json(res, 503, unavailable) : json(res, 200, task)), { baseDelayMs, retries: 4 });
  t.is(await client.getResult(task.task_id), 42);
  t.is(seen.length, 5, 'four failures, four retries, then the answer');
  // Jitter draws each wait from [ceiling / 2, ceiling] with ceiling = base * 2^attempt: only the
  // lower bound is a claim a loaded machine cannot break (a wait may run long, never short).
  const measured = gaps(seen);
  measured.forEach((gap, attempt) => t.true(gap >= (baseDelayMs * 2 ** attempt) / 2 - CLOCK_SLACK_MS, `gap ${attempt + 1}: ${Math.round(gap)} ms (all: ${measured.map(Math.round).join(', ')})`));
});

test('a server that fails N times is asked exactly N + 1 times when retries allow, and N times (then the error) when they do not', async (t) => {
  const failThree = (n: number, _req: IncomingMessage, res: ServerResponse) => (n < 3 ? json(res, 502, 'bad gateway') : json(res, 200, task));
  const enough = await flakyServer(t, failThree, { baseDelayMs: 5, retries: 3 });
  t.is(await enough.client.getResult(task.task_id), 42);
  t.is(enough.seen.length, 4);
  const tooFew = await flakyServer(t, failThree, { baseDelayMs: 5, retries: 2 });
  await t.throwsAsync(tooFew.client.getTask(task.task_id), { message: /502|bad gateway/i });
  t.is(tooFew.seen.length, 3, 'the first attempt and 2 retries, no more');
});

test('a read whose connection is reset is retried with backoff (each reset counted), then answered', async (t) => {
  const baseDelayMs = 100;
  const { seen, client } = await flakyServer(t, (n, req, res) => (n < 2 ? req.socket.destroy() : json(res, 200, task)), { baseDelayMs, retries: 4 });
  t.is(await client.getResult(task.task_id), 42);
  t.is(seen.length, 3, 'two resets, two retries');
  const measured = gaps(seen);
  measured.forEach((gap, attempt) => t.true(gap >= (baseDelayMs * 2 ** attempt) / 2 - CLOCK_SLACK_MS, `gap ${attempt + 1}: ${Math.round(gap)} ms`));
});

test('a service that refuses connections is ServiceUnreachable', async (t) => {
  const { url, home } = await flakyServer(t, (_n, _req, res) => json(res, 200, task));
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
  const dead = new Client({ serviceUrl: url.replace(/:\d+$/, `:${closedPort}`), token: 'fxu_test', env: { FUNCX_HOME: home }, retry: { baseDelayMs: 5, retries: 2 } });
  const error = await t.throwsAsync(dead.getTask(task.task_id), { instanceOf: ServiceUnreachable });
  t.regex(error.message, /ECONNREFUSED|connect/);
});
