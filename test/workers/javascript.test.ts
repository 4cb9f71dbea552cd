/** The javascript runtime: node worker processes with the python runtime's contract. */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import type { TaskToRun } from '../../endpoint/execution.js';
import { assertNoSuchProcess, never, startExecutor, task, waitFor } from './helpers.js';

function jsTask(source: string, args: unknown[] = [], extra: Partial<TaskToRun> = {}): TaskToRun {
  return task({ runtime: 'javascript', source, payload: JSON.stringify({ args, kwargs: {} }), ...extra });
}

test('sync and async functions, arrows and named sources with an entry point', async (t) => {
  const { executor } = await startExecutor(t);
  t.deepEqual(await executor.run(jsTask('function double(x) { return 2 * x }', [21]), never), { status: 'success', result: '42', resultSerializer: 'json' });
  t.like(await executor.run(jsTask('async (x) => x + 1', [1]), never), { status: 'success', result: '2' });
  t.like(await executor.run(jsTask('async function later(ms) { await new Promise((r) => setTimeout(r, ms)); return { waited: ms } };', [5]), never), { status: 'success', result: '{"waited":5}' });
  const named = 'function helper(xs) { return xs.map((x) => x * x) }\nfunction squares(xs) { return helper(xs) }';
  t.like(await executor.run(jsTask(named, [[1, 2, 3]], { entryPoint: 'squares' }), never), { status: 'success', result: '[1,4,9]' });
  t.like(await executor.run(jsTask('() => {}'), never), { status: 'success', result: 'null' });
  t.like(await executor.run(jsTask('(a, opts) => `${a} ${opts.name}`', [], { payload: JSON.stringify({ args: ['hi'], kwargs: { name: 'Ada' } }) }), never), { status: 'success', result: '"hi Ada"' });
  t.like(await executor.run(jsTask("() => require('node:os').platform()"), never), { status: 'success', result: JSON.stringify(process.platform) });
  t.like(await executor.run(jsTask("async () => (await import('node:path')).sep"), never), { status: 'success', result: '"/"' });
});

test('a thrown Error fails with its name, message and stack; a rejected promise too', async (t) => {
  const { executor } = await startExecutor(t);
  const thrown = await executor.run(jsTask('function explode() { throw new RangeError("deterministic failure") }'), never);
  if (thrown.status !== 'failed') return t.fail();
  t.is(thrown.exception.type, 'RangeError');
  t.is(thrown.exception.message, 'deterministic failure');
  t.regex(thrown.exception.traceback!, /^RangeError: deterministic failure\n\s+at explode \(<funcx function [-\w]+>:1:\d+\)$/);
  t.like(await executor.run(jsTask('async () => { throw new TypeError("nope") }'), never), { status: 'failed', exception: { type: 'TypeError', message: 'nope' } });
  t.like(await executor.run(jsTask('() => { throw "a string" }'), never), { status: 'failed', exception: { type: 'Error', message: 'non-Error value thrown: a string' } });
  t.like(await executor.run(jsTask('() => 10n'), never), { status: 'failed', exception: { type: 'TaskResultNotSerializable' } });
  t.like(await executor.run(jsTask('function ('), never), { status: 'failed', exception: { type: 'FunctionSourceInvalid' } });
  t.like(await executor.run(jsTask('const x = 1', [], { entryPoint: 'missing' }), never), { status: 'failed', exception: { type: 'EntryPointNotFound' } });
  t.like(await executor.run(jsTask('42'), never), { status: 'failed', exception: { type: 'EntryPointNotFound' } });
});

test('odd thrown values (a numeric stack or name, a string, null) fail the task, and the same worker serves the next', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const numericStack = await executor.run(jsTask('() => { const e = new Error("odd stack"); e.stack = 5; throw e }'), never);
  t.like(numericStack, { status: 'failed', exception: { type: 'Error', message: 'odd stack', traceback: '5' } });
  const [pid] = executor.pids();
  t.like(await executor.run(jsTask('() => { const e = new Error("odd name"); e.name = 42; throw e }'), never),
    { status: 'failed', exception: { type: '42', message: 'odd name' } });
  t.like(await executor.run(jsTask('() => { const e = new Error("long"); e.name = "N".repeat(300); throw e }'), never),
    { status: 'failed', exception: { type: 'N'.repeat(256), message: 'long' } });
  t.like(await executor.run(jsTask('() => { throw "a string" }'), never), { status: 'failed', exception: { type: 'Error', message: 'non-Error value thrown: a string' } });
  t.like(await executor.run(jsTask('() => { throw null }'), never), { status: 'failed', exception: { type: 'Error', message: 'non-Error value thrown: null' } });
  t.like(await executor.run(jsTask('() => { throw { toString() { throw new Error("no") } } }'), never), { status: 'failed', exception: { type: 'Error' } });
  t.like(await executor.run(jsTask('(x) => x', ['next']), never), { status: 'success', result: '"next"' });
  t.deepEqual(executor.pids(), [pid], 'the same worker served every task');
});

test('pickle is refused clearly; a warm call is cached', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 1 });
  const refused = await executor.run(jsTask('(x) => x', [], { serializer: 'pickle', payload: 'gASVBgAAAAAAAAB9lC4=' }), never);
  t.like(refused, { status: 'failed', exception: { type: 'SerializerNotAllowed' } });
  if (refused.status === 'failed') t.regex(refused.exception.message, /javascript runtime .* does not accept the pickle serializer/);
  const functionId = randomUUID();
  const first = jsTask('(x) => x * 3', [1], { functionId });
  const second = jsTask('(x) => x * 3', [2], { functionId });
  await executor.run(first, never);
  t.like(await executor.run(second, never), { status: 'success', result: '6' });
  const cachedOf = (taskId: string) => logs.find((l) => l.taskId === taskId && l.msg === 'task ran in worker')?.cached;
  t.deepEqual([cachedOf(first.taskId), cachedOf(second.taskId)], [false, true]);
});

test('process.exit loses the worker (retry); a busy loop past its walltime is killed; abort cancels', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 1 });
  const exited = await executor.run(jsTask('() => process.exit(7)'), never);
  t.deepEqual(exited, { status: 'failed', retry: true, exception: { type: 'WorkerLost', message: 'worker process exited with code 7 while running the task' } });
  const looping = await executor.run(jsTask('() => { for (;;) {} }', [], { walltimeMs: 300 }), never);
  t.like(looping, { status: 'failed', exception: { type: 'TaskWalltimeExceeded' } });
  t.false('retry' in looping);
  const controller = new AbortController();
  const waiting = jsTask('() => { console.log("waiting forever"); return new Promise(() => {}) }');
  const running = executor.run(waiting, controller.signal);
  await waitFor(() => logs.some((l) => l.taskId === waiting.taskId && l.msg === 'waiting forever'), 'the task to log');
  const [pid] = executor.pids();
  controller.abort();
  t.like(await running, { status: 'failed', exception: { type: 'TaskCancelled' } });
  assertNoSuchProcess(t, pid);
  t.like(await executor.run(jsTask('(x) => x', ['still works']), never), { status: 'success', result: '"still works"' });
});

test('a stray error after a task does not kill the worker', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  t.like(await executor.run(jsTask('() => { setImmediate(() => { throw new Error("late") }); Promise.reject(new Error("ignored")); return 1 }'), never), { status: 'success', result: '1' });
  const [pid] = executor.pids();
  t.like(await executor.run(jsTask('() => 2'), never), { status: 'success', result: '2' });
  t.deepEqual(executor.pids(), [pid]);
});
