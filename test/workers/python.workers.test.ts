/**
 * The python runtime's worker life: warm caching, lost workers, walltimes,
 * cancellation, serializer rules, where the user's prints go, and stop().
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { assertNoSuchProcess, isGone, never, picklePayload, pyTask, startExecutor, task, unpickle, waitFor } from './helpers.js';

const SQUARED = 'def squared(x):\n    return x**2\n';
const SLEEPY = 'def sleepy(seconds):\n    import time\n    print("sleeping now", flush=True)\n    time.sleep(seconds)\n    return "woke"\n';

test('a warm worker reuses the compiled function: the second call reports cached', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 1 });
  const functionId = randomUUID();
  const first = pyTask(SQUARED, 'squared', [3], { functionId });
  const second = pyTask(SQUARED, 'squared', [4], { functionId });
  t.like(await executor.run(first, never), { status: 'success', result: '9' });
  t.like(await executor.run(second, never), { status: 'success', result: '16' });
  const cachedOf = (taskId: string) => logs.find((l) => l.taskId === taskId && l.msg === 'task ran in worker')?.cached;
  t.is(cachedOf(first.taskId), false);
  t.is(cachedOf(second.taskId), true);
});

test('the pool sends a function to the worker that has it compiled', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 2 });
  const a = randomUUID();
  const b = randomUUID();
  // Two workers each compile one function (the tasks run at once, so each gets its own worker)...
  await Promise.all([executor.run(pyTask(SQUARED, 'squared', [1], { functionId: a }), never), executor.run(pyTask(SQUARED, 'squared', [2], { functionId: b }), never)]);
  // ...then each function, run one at a time, finds its warm worker.
  const again = [pyTask(SQUARED, 'squared', [1], { functionId: a }), pyTask(SQUARED, 'squared', [2], { functionId: b }), pyTask(SQUARED, 'squared', [1], { functionId: a })];
  for (const task of again) await executor.run(task, never);
  t.deepEqual(again.map((task) => logs.find((l) => l.taskId === task.taskId && l.msg === 'task ran in worker')?.cached), [true, true, true]);
});

test('os._exit in a function loses the worker: WorkerLost with retry, and the next task still runs', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  await executor.run(pyTask(SQUARED, 'squared', [2]), never);
  const [pidBefore] = executor.pids();
  const outcome = await executor.run(pyTask('def die():\n    import os\n    os._exit(1)\n', 'die'), never);
  t.deepEqual(outcome, {
    status: 'failed',
    retry: true,
    exception: { type: 'WorkerLost', message: 'worker process exited with code 1 while running the task' },
  });
  assertNoSuchProcess(t, pidBefore);
  t.like(await executor.run(pyTask(SQUARED, 'squared', [5]), never), { status: 'success', result: '25' });
  t.notDeepEqual(executor.pids(), [pidBefore]);
});

test('SystemExit and a fatal signal also lose the worker (retry), naming how it died', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const exited = await executor.run(pyTask('def bye():\n    import sys\n    sys.exit(3)\n', 'bye'), never);
  t.like(exited, { status: 'failed', retry: true, exception: { type: 'WorkerLost', message: 'worker process exited with code 3 while running the task' } });
  const killed = await executor.run(pyTask('def crash():\n    import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)\n', 'crash'), never);
  t.like(killed, { status: 'failed', retry: true, exception: { type: 'WorkerLost', message: 'worker process exited with signal SIGSEGV while running the task' } });
  t.like(await executor.run(pyTask(SQUARED, 'squared', [6]), never), { status: 'success', result: '36' });
});

test('a python task past its walltime is killed: TaskWalltimeExceeded, no retry; the pool carries on', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const outcome = await executor.run(pyTask(SLEEPY, 'sleepy', [60], { walltimeMs: 300 }), never);
  t.like(outcome, { status: 'failed', exception: { type: 'TaskWalltimeExceeded' } });
  t.false('retry' in outcome);
  if (outcome.status === 'failed') t.regex(outcome.exception.message, /walltime of 300 ms/);
  t.like(await executor.run(pyTask(SQUARED, 'squared', [7]), never), { status: 'success', result: '49' });
});

test('aborting a running task kills it: TaskCancelled; the user\'s prints reach the log, tagged with the task', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 1 });
  const controller = new AbortController();
  const sleepy = pyTask(SLEEPY, 'sleepy', [60]);
  const running = executor.run(sleepy, controller.signal);
  await waitFor(() => logs.some((l) => l.taskId === sleepy.taskId && l.stream === 'stdout' && l.msg === 'sleeping now'), 'the task to print');
  t.deepEqual(executor.stats(), { totalWorkers: 1, idleWorkers: 0 });
  controller.abort();
  t.like(await running, { status: 'failed', exception: { type: 'TaskCancelled' } });
  t.deepEqual(executor.stats(), { totalWorkers: 1, idleWorkers: 1 });
  // A task still waiting for a worker can be cancelled too, without running.
  const blocker = new AbortController();
  const first = executor.run(pyTask(SLEEPY, 'sleepy', [60]), blocker.signal);
  const waiting = new AbortController();
  const second = executor.run(pyTask(SQUARED, 'squared', [1]), waiting.signal);
  waiting.abort();
  t.like(await second, { status: 'failed', exception: { type: 'TaskCancelled' } });
  blocker.abort();
  t.like(await first, { status: 'failed', exception: { type: 'TaskCancelled' } });
});

test('run() beyond maxWorkers waits for a free worker', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 1 });
  const controller = new AbortController();
  const sleepy = pyTask(SLEEPY, 'sleepy', [60]);
  const first = executor.run(sleepy, controller.signal);
  const queued = pyTask(SQUARED, 'squared', [8]);
  let queuedDone = false;
  const second = executor.run(queued, never).finally(() => (queuedDone = true));
  await waitFor(() => logs.some((l) => l.taskId === sleepy.taskId && l.msg === 'sleeping now'), 'the first task to run');
  t.false(queuedDone);
  t.is(executor.pids().length, 1);
  controller.abort();
  await first;
  t.like(await second, { status: 'success', result: '64' });
});

test('serializers: a refused one fails with SerializerNotAllowed; results json cannot carry fail with their type', async (t) => {
  const { executor } = await startExecutor(t, { allowedSerializers: ['json'] });
  const refused = await executor.run(pyTask(SQUARED, 'squared', [], { serializer: 'pickle', payload: picklePayload('(2,)') }), never);
  t.like(refused, { status: 'failed', exception: { type: 'SerializerNotAllowed' } });
  if (refused.status === 'failed') t.regex(refused.exception.message, /pickle/);
  const nan = await executor.run(pyTask('def f():\n    return float("nan")\n', 'f'), never);
  t.like(nan, { status: 'failed', exception: { type: 'TaskResultNotSerializable' } });
  const obj = await executor.run(pyTask('def f():\n    return {"when": object()}\n', 'f'), never);
  t.like(obj, { status: 'failed', exception: { type: 'TaskResultNotSerializable', message: 'result of type object is not JSON-serializable; use the pickle serializer' } });
  const kwargs = await executor.run(pyTask('def greet(greeting, name="x"):\n    return greeting + " " + name\n', 'greet', [], { payload: JSON.stringify({ args: ['hi'], kwargs: { name: 'Ada' } }) }), never);
  t.like(kwargs, { status: 'success', result: '"hi Ada"' });
  const bad = await executor.run(pyTask(SQUARED, 'squared', [], { payload: 'not json' }), never);
  t.like(bad, { status: 'failed', exception: { type: 'TaskPayloadInvalid' } });
});

test('exceptions: qualified names for non-builtins, pickled exception objects, and compile errors', async (t) => {
  const { executor } = await startExecutor(t);
  const source = 'import json\n\ndef parse(text):\n    return json.loads(text)\n';
  const decodeError = await executor.run(pyTask(source, 'parse', [], { serializer: 'pickle', payload: picklePayload('("{nope",)') }), never);
  if (decodeError.status !== 'failed') return t.fail();
  t.is(decodeError.exception.type, 'json.decoder.JSONDecodeError');
  t.regex(decodeError.exception.traceback!, /in parse/);
  t.is(unpickle(decodeError.exception.serialized!).type, 'json.decoder.JSONDecodeError');

  const valueError = await executor.run(pyTask('def f(x):\n    return int(x)\n', 'f', ['abc']), never);
  t.like(valueError, { status: 'failed', exception: { type: 'ValueError', message: "invalid literal for int() with base 10: 'abc'" } });

  const syntax = await executor.run(pyTask('def f(:\n', 'f'), never);
  t.like(syntax, { status: 'failed', exception: { type: 'FunctionSourceInvalid' } });
  const missing = await executor.run(pyTask(SQUARED, 'cubed', [1]), never);
  t.like(missing, { status: 'failed', exception: { type: 'EntryPointNotFound' } });
  const noEntryPoint = await executor.run(pyTask(SQUARED, null, [9]), never);
  t.like(noEntryPoint, { status: 'success', result: '81' });
});

test('a user exception class with a 300-character name is reported with its type cut to 256; one whose str() raises still fails cleanly', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const longName = 'E'.repeat(300);
  const long = await executor.run(pyTask(`class ${longName}(Exception):\n    pass\n\ndef f():\n    raise ${longName}("too long")\n`, 'f'), never);
  if (long.status !== 'failed') return t.fail();
  t.is(long.exception.type, `__funcx_function__.${longName}`.slice(0, 256));
  t.is(long.exception.message, 'too long');
  const [pid] = executor.pids();
  const badStr = await executor.run(pyTask('class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError("no str")\n\ndef f():\n    raise Odd()\n', 'f'), never);
  t.like(badStr, { status: 'failed', exception: { type: '__funcx_function__.Odd' } });
  t.like(await executor.run(pyTask(SQUARED, 'squared', [3]), never), { status: 'success', result: '9' });
  t.deepEqual(executor.pids(), [pid], 'the same worker served every task');
});

test('functions do not see the endpoint owner\'s FUNCX_TOKEN', async (t) => {
  process.env.FUNCX_TOKEN = 'secret-for-test';
  t.teardown(() => delete process.env.FUNCX_TOKEN);
  const { executor } = await startExecutor(t);
  const outcome = await executor.run(pyTask('def f():\n    import os\n    return [os.environ.get("FUNCX_TOKEN"), os.environ.get("PATH") is not None]\n', 'f'), never);
  t.like(outcome, { status: 'success', result: '[null, true]' });
});

test('a python interpreter that cannot start fails tasks with WorkerStartFailed (no retry) and is not offered', async (t) => {
  const { executor } = await startExecutor(t, { pythonInterpreter: '/nonexistent/python3' });
  const outcome = await executor.run(pyTask(SQUARED, 'squared', [1]), never);
  t.like(outcome, { status: 'failed', exception: { type: 'WorkerStartFailed' } });
  t.false('retry' in outcome);
  t.deepEqual((await executor.runtimes()).map((r) => r.name), ['javascript', 'shell']);
});

test('runtimes() reports the interpreter\'s python version, node\'s and sh', async (t) => {
  const { executor } = await startExecutor(t);
  const runtimes = await executor.runtimes();
  t.regex(runtimes.find((r) => r.name === 'python')!.version, /^3\.\d+\.\d+/);
  t.is(runtimes.find((r) => r.name === 'javascript')!.version, process.versions.node);
  t.truthy(runtimes.find((r) => r.name === 'shell'));
  t.is(await executor.runtimes(), runtimes); // cached
});

test('stop() kills every worker, running tasks included (ExecutorStopped, retry), and what they started', async (t) => {
  const { executor, logs } = await startExecutor(t, { maxWorkers: 3 });
  // An idle javascript worker, and a python worker busy with a task that started a child process.
  t.like(await executor.run(task({ runtime: 'javascript', source: '(x) => x', payload: '{"args": [1]}' }), never), { status: 'success', result: '1' });
  const child = pyTask('def spawn():\n    import subprocess\n    p = subprocess.Popen(["sleep", "60"])\n    print("child", p.pid, flush=True)\n    import time\n    time.sleep(60)\n', 'spawn');
  const running = executor.run(child, never);
  const printed = () => logs.find((l) => l.taskId === child.taskId && typeof l.msg === 'string' && l.msg.startsWith('child '));
  await waitFor(() => printed() !== undefined, 'the task to start its child');
  const grandchild = Number((printed()!.msg as string).split(' ')[1]);
  const pids = executor.pids();
  t.is(pids.length, 2);
  await executor.stop();
  t.like(await running, { status: 'failed', retry: true, exception: { type: 'ExecutorStopped' } });
  for (const pid of pids) assertNoSuchProcess(t, pid);
  await waitFor(() => isGone(grandchild), 'the grandchild to die');
  t.deepEqual(executor.pids(), []);
  t.like(await executor.run(pyTask(SQUARED, 'squared', [1]), never), { status: 'failed', retry: true, exception: { type: 'ExecutorStopped' } });
});
