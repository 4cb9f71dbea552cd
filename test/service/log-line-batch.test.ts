/**
 * The service's log lines are gathered for BATCH_DELAY_MS and written together (src/logLineBatch.ts),
 * and none is lost at an ordinary exit: `process.exit` right after a line, or the event loop ending.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { LogLineBatch, type LineSink } from '../../src/logLineBatch.js';
import { waitFor } from '../helpers/endpointProcess.js';

const LOGGER = fileURLToPath(new URL('../../src/logger.js', import.meta.url));

/** A sink that keeps each write it gets, as one string. */
function recordingSink(): LineSink & { writes: string[] } {
  const writes: string[] = [];
  return { writes, write: (data: string) => writes.push(data) };
}

test('lines logged within the delay reach the sink in one write, in their order, and none before the delay', async (t) => {
  const sink = recordingSink();
  const log = pino({ base: null, timestamp: false }, new LogLineBatch(sink, 30));
  log.info('one');
  log.info('two');
  log.info('three');
  t.deepEqual(sink.writes, [], 'nothing written before the delay');
  await waitFor(() => sink.writes.length > 0, 'the batch to be written', 10_000);
  t.is(sink.writes.length, 1);
  t.deepEqual(sink.writes[0]!.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg), ['one', 'two', 'three']);
});

test('a batch that reaches the byte bound is written at once, without waiting for the delay', (t) => {
  const sink = recordingSink();
  const log = pino({ base: null, timestamp: false }, new LogLineBatch(sink, 3_600_000, 100));
  log.info('x'.repeat(40)); // ~60 bytes: gathered
  t.deepEqual(sink.writes, []);
  log.info('y'.repeat(40)); // past 100: written now
  t.is(sink.writes.length, 1);
  t.regex(sink.writes[0]!, /x{40}[\s\S]*y{40}/);
});

test('logger.flush() writes the gathered lines at once', (t) => {
  const sink = recordingSink();
  const log = pino({ base: null, timestamp: false }, new LogLineBatch(sink, 3_600_000));
  log.info('now');
  log.flush();
  t.is(sink.writes.length, 1);
});

for (const [how, end] of [['process.exit() right after', 'process.exit(0);'], ['the event loop ending', '']] as const) {
  test(`a service logger's last lines reach stdout on ${how}`, async (t) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { createLogger } = await import(${JSON.stringify(LOGGER)});
      const log = createLogger('info', 'exit-test', undefined, 'json');
      for (let i = 0; i < 3; i++) log.info('line ' + i);
      ${end}
    `], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.stderr!.on('data', (chunk) => (err += chunk));
    const code = await new Promise((resolve) => child.once('close', resolve));
    t.is(code, 0, err);
    t.deepEqual(out.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg), ['line 0', 'line 1', 'line 2']);
  });
}
