/**
 * The agent's port for worker managers: newline-framed JSON that handles long lines in
 * linear time, a small line limit and a connection cap until a peer has said hello.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { pino } from 'pino';
import { within } from '../helpers/within.js';
import { BlockExecutor } from '../../endpoint/blocks/blockExecutor.js';
import { LineChannel, UNAUTHENTICATED_LINE_CHARS } from '../../endpoint/blocks/protocol.js';
import { ensureManagerSecret } from '../../endpoint/blocks/secret.js';
import { LocalProvider } from '../../endpoint/providers/local.js';
import type { BlockSettings } from '../../endpoint/providers/settings.js';

async function connectTo(t: ExecutionContext, port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  t.teardown(() => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/**
 * Bound on what the agent (in this process) does "at once": a close or an answer is an event-loop
 * turn away, so this is generous on a loaded machine, and well under the 10 s after which the
 * agent closes any connection that has not said hello (which would otherwise pass for a refusal).
 */
const AT_ONCE_MS = 5_000;

/** Resolves once the peer has closed the connection (what it sent first is read and dropped); fails past AT_ONCE_MS. */
function closed(socket: Socket, what: string): Promise<void> {
  socket.resume();
  return within(AT_ONCE_MS, what, new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve()))));
}

/** The first line the peer sends, parsed; fails if the connection closes first, or past AT_ONCE_MS. */
function reply(socket: Socket, what: string): Promise<Record<string, unknown>> {
  return within(AT_ONCE_MS, what, new Promise((resolve, reject) => {
    if (socket.destroyed || socket.readableEnded) return reject(new Error(`${what}: the connection was already closed`));
    let text = '';
    const onData = (data: Buffer) => {
      text += String(data);
      if (!text.includes('\n')) return;
      socket.off('close', onClose);
      socket.off('data', onData);
      resolve(JSON.parse(text.split('\n')[0]));
    };
    const onClose = () => reject(new Error(`${what}: the connection closed without an answer`));
    socket.on('data', onData);
    socket.once('close', onClose);
  }));
}

/** A hello with a wrong secret: any agent answers it with refused "wrong secret". */
const wrongHello = (extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'hello', secret: 'wrong', block_id: 'b1', manager_id: 'm', hostname: 'h', pid: 1, slots: 1, ...extra });

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a line split over many chunks, and several lines in one chunk, are parsed exactly', async (t) => {
  const messages: unknown[] = [];
  const bad: string[] = [];
  const server = createServer((socket) => new LineChannel(socket, (m) => messages.push(m), (why) => bad.push(why)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const client = await connectTo(t, (server.address() as AddressInfo).port);
  const big = { type: 'result', payload: 'x'.repeat(8 * 1024 * 1024) + 'é\n-end' };
  const text = JSON.stringify(big) + '\n';
  // Small, uneven writes: the line arrives in many chunks.
  for (let i = 0; i < text.length; i += 70_001) client.write(text.slice(i, i + 70_001));
  client.write('{"n":1}\n\n{"n":2}\n{"n"');
  client.write(':3}\n');
  await until(() => messages.length === 4, 'four messages');
  t.deepEqual(messages, [big, { n: 1 }, { n: 2 }, { n: 3 }]);
  t.deepEqual(bad, []);
});

test('a channel with a small limit refuses a longer line until allowLongLines()', async (t) => {
  const messages: unknown[] = [];
  const bad: string[] = [];
  const server = createServer((socket) => {
    const channel: LineChannel<{ hello?: boolean }, unknown> = new LineChannel<{ hello?: boolean }, unknown>(socket, (m) => {
      messages.push(m);
      if (m.hello) channel.allowLongLines();
    }, (why) => { bad.push(why); socket.destroy(); }, { maxLineChars: 1000 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;

  const trusted = await connectTo(t, port);
  // hello and a long line in one write: the limit is raised before the long line is read.
  trusted.write(JSON.stringify({ hello: true }) + '\n' + JSON.stringify({ long: 'y'.repeat(5000) }) + '\n');
  await until(() => messages.length === 2, 'both messages');
  t.deepEqual(bad, []);

  // The control: a stranger's line just under the limit, in two writes, is read.
  const modest = await connectTo(t, port);
  const underLimit = JSON.stringify({ modest: 'm'.repeat(1000 - 20) });
  t.true(underLimit.length <= 1000);
  modest.write(underLimit.slice(0, 500));
  modest.write(underLimit.slice(500) + '\n');
  await until(() => messages.length === 3, 'the line under the limit');
  t.deepEqual(messages[2], JSON.parse(underLimit));

  const stranger = await connectTo(t, port);
  stranger.write('z'.repeat(1500)); // no newline yet: the partial line alone is over the limit
  await closed(stranger, 'the channel to close a connection over its limit');
  t.deepEqual(bad, ['a line longer than the limit']);
  t.is(messages.length, 3);
  t.false(modest.destroyed || modest.readableEnded, 'the stranger under the limit is still connected');
});

function blockSettings(initBlocks = 0): BlockSettings {
  return {
    initBlocks, minBlocks: 0, maxBlocks: 1, nodesPerBlock: 1, maxWorkersPerNode: 1, maxIdleMs: 60_000, strategyPeriodMs: 60_000,
    workerInit: [], listenAddress: '127.0.0.1', listenPort: 0, connectAddress: '127.0.0.1',
    managerHeartbeatMs: 1000, managerTimeoutMs: 10_000, managerStartTimeoutMs: 60_000,
  };
}

/** A real block executor on a local provider; `dir` is the endpoint folder (shared by "runs" of one endpoint). */
async function startBlockExecutor(t: ExecutionContext, { dir, initBlocks = 0 }: { dir?: string; initBlocks?: number } = {}): Promise<BlockExecutor> {
  if (!dir) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-manager-port-'));
    const made = dir;
    t.teardown(() => rmSync(made, { recursive: true, force: true }));
  }
  const secretFile = path.join(dir, 'manager.secret');
  const provider = new LocalProvider();
  const executor = new BlockExecutor({
    provider, blocks: blockSettings(initBlocks), secret: ensureManagerSecret(secretFile), secretFile, blocksDir: dir,
    worker: { python: 'python3', serializers: ['json'], shellOutputCap: 1024, workDir: dir, logLevel: 'info' },
    logger: pino({ level: 'silent' }),
  });
  await executor.start();
  t.teardown(async () => {
    await executor.stop();
    await provider.close();
  });
  return executor;
}

test('the agent closes a connection that sends a line longer than a hello before saying hello; one just under the limit is heard', async (t) => {
  const executor = await startBlockExecutor(t);
  // The control, connected first (so nearer the hello timeout): a hello just under the limit, its first half sent now.
  const control = await connectTo(t, executor.listenPort);
  const padded = wrongHello({ hostname: 'h'.repeat(UNAUTHENTICATED_LINE_CHARS - 200) });
  t.true(padded.length < UNAUTHENTICATED_LINE_CHARS);
  control.write(padded.slice(0, padded.length / 2));

  const socket = await connectTo(t, executor.listenPort);
  socket.on('error', () => {});
  socket.write('{"type":"hello","secret":"' + 'a'.repeat(UNAUTHENTICATED_LINE_CHARS + 10));
  await closed(socket, 'the agent to close the connection whose first line is over the limit');
  t.true(socket.destroyed);

  // The control is still heard: its hello, finished now, gets the agent's answer (not a close).
  const answer = reply(control, 'the answer to the hello just under the limit');
  control.write(padded.slice(padded.length / 2) + '\n');
  t.deepEqual(await answer, { type: 'refused', reason: 'wrong secret' });
});

test('the agent takes at most 16 connections that have not said hello; more are closed at once', async (t) => {
  const executor = await startBlockExecutor(t);
  const waiting: Socket[] = [];
  for (let i = 0; i < 16; i++) waiting.push(await connectTo(t, executor.listenPort));
  const extra = await connectTo(t, executor.listenPort);
  extra.on('error', () => {});
  await closed(extra, 'the agent to close the 17th connection');
  // The control: the first sixteen are still open, and heard: the agent waits for their hello.
  t.true(waiting.every((s) => !s.destroyed && !s.readableEnded));
  // One saying a (wrong) hello frees a place for a newcomer.
  const firstAnswer = reply(waiting[0], 'the answer to the first hello');
  waiting[0].write(wrongHello() + '\n');
  t.like(await firstAnswer, { type: 'refused', reason: 'wrong secret' });
  await closed(waiting[0], 'the agent to close a refused connection');
  const later = await connectTo(t, executor.listenPort);
  const laterAnswer = reply(later, 'the answer to the newcomer');
  later.write(wrongHello() + '\n');
  t.like(await laterAnswer, { type: 'refused', reason: 'wrong secret' });
  // And the other fifteen were kept all along: each is answered now.
  const answers = waiting.slice(1).map((s, i) => reply(s, `the answer to waiting connection ${i + 2}`));
  for (const s of waiting.slice(1)) s.write(wrongHello() + '\n');
  for (const answer of await Promise.all(answers)) t.like(answer, { type: 'refused', reason: 'wrong secret' });
});

test('block ids carry a per-run nonce: a manager of an earlier run\'s b1 is refused by the next run', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-manager-port-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startBlockExecutor(t, { dir, initBlocks: 1 });
  const second = await startBlockExecutor(t, { dir, initBlocks: 1 });
  const [firstBlock] = first.details().blocks.map((b) => b.block_id);
  const [secondBlock] = second.details().blocks.map((b) => b.block_id);
  t.regex(firstBlock, /^b1-[0-9a-f]{6}$/);
  t.regex(secondBlock, /^b1-[0-9a-f]{6}$/);
  t.not(firstBlock, secondBlock);
  // The first run's block dials the second run's agent, with the right secret: refused.
  const socket = await connectTo(t, second.listenPort);
  const secret = ensureManagerSecret(path.join(dir, 'manager.secret'));
  const answer = reply(socket, 'the answer to the earlier run\'s manager');
  socket.write(JSON.stringify({ type: 'hello', secret, block_id: firstBlock, manager_id: 'old', hostname: 'h', pid: 1, slots: 1 }) + '\n');
  t.deepEqual(await answer, { type: 'refused', reason: `block ${firstBlock} is not one this agent is waiting for` });
});
