/**
 * Every function of the seeds' tutorial through the executor's python
 * runtime, with real python3 workers, in both serializers where it matters.
 */
import test from 'ava';
import { never, picklePayload, pyTask, python, serializers, startExecutor, unpickle } from './helpers.js';

const HELLO = 'def hello_world():\n    return "Hello World!"\n';
const SUM = 'def funcx_sum(items):\n    return sum(items)\n';
const DATE = 'def funcx_date():\n    from datetime import date\n    return date.today()\n';
const ECHO = 'def funcx_echo(name):\n    import os\n    return os.popen("echo Hello %s" % name).read()\n';
const FAILING = 'def failing():\n    raise Exception("deterministic failure")\n';
const PI = [
  'def pi(num_points):',
  '    from random import random',
  '    inside = 0',
  '    for i in range(num_points):',
  '        x, y = random(), random()  # Drop a random point in the box.',
  '        if x**2 + y**2 < 1:        # Count points within the circle.',
  '            inside += 1',
  '    return (inside*4 / num_points)',
].join('\n') + '\n';
const SQUARED = 'def squared(x):\n    return x**2\n';

/** Decodes a result in its serializer: JSON.parse, or a real python3 unpickling it to repr. */
function decode(result: string, serializer: string): unknown {
  return serializer === 'json' ? JSON.parse(result) : unpickle(result).repr;
}

/** The task's payload for Python literal args in either serializer. */
function payload(serializer: string, args: unknown[], pythonArgs: string): string {
  return serializer === 'json' ? JSON.stringify({ args, kwargs: {} }) : picklePayload(pythonArgs);
}

for (const serializer of serializers) {
  test(`hello_world, funcx_sum, funcx_echo and squared return their values (${serializer})`, async (t) => {
    const { executor } = await startExecutor(t);
    const run = (source: string, entry: string, args: unknown[], pythonArgs: string) =>
      executor.run(pyTask(source, entry, [], { serializer, payload: payload(serializer, args, pythonArgs) }), never);
    const hello = await run(HELLO, 'hello_world', [], '()');
    const sum = await run(SUM, 'funcx_sum', [[1, 2, 3, 4, 5]], '([1, 2, 3, 4, 5],)');
    const echo = await run(ECHO, 'funcx_echo', ['World'], '("World",)');
    t.like(hello, { status: 'success', resultSerializer: serializer });
    t.like(sum, { status: 'success', resultSerializer: serializer });
    t.like(echo, { status: 'success', resultSerializer: serializer });
    if (hello.status !== 'success' || sum.status !== 'success' || echo.status !== 'success') return;
    t.deepEqual(decode(hello.result, serializer), serializer === 'json' ? 'Hello World!' : "'Hello World!'");
    t.deepEqual(decode(sum.result, serializer), serializer === 'json' ? 15 : '15');
    t.deepEqual(decode(echo.result, serializer), serializer === 'json' ? 'Hello World\n' : "'Hello World\\n'");

    const squares = await Promise.all(Array.from({ length: 10 }, (_, x) => run(SQUARED, 'squared', [x], `(${x},)`)));
    t.deepEqual(
      squares.map((o) => (o.status === 'success' ? decode(o.result, serializer) : o)),
      Array.from({ length: 10 }, (_, x) => (serializer === 'json' ? x ** 2 : String(x ** 2))),
    );
  });

  test(`failing() raises Exception("deterministic failure") with its remote traceback (${serializer})`, async (t) => {
    const { executor } = await startExecutor(t);
    const outcome = await executor.run(pyTask(FAILING, 'failing', [], { serializer, payload: payload(serializer, [], '()') }), never);
    if (outcome.status !== 'failed') return t.fail('expected a failure');
    t.is(outcome.retry, undefined);
    t.is(outcome.exception.type, 'Exception');
    t.is(outcome.exception.message, 'deterministic failure');
    t.regex(outcome.exception.traceback!, /Traceback \(most recent call last\)/);
    t.regex(outcome.exception.traceback!, /in failing/);
    t.regex(outcome.exception.traceback!, /raise Exception\("deterministic failure"\)/); // the user's source line
    t.regex(outcome.exception.traceback!, /Exception: deterministic failure/);
    t.notRegex(outcome.exception.traceback!, /python_worker/); // the worker's own frames are left out
    if (serializer === 'pickle') {
      t.deepEqual(unpickle(outcome.exception.serialized!), { type: 'builtins.Exception', repr: "Exception('deterministic failure')" });
    } else {
      t.is(outcome.exception.serialized, undefined);
    }
  });
}

test('funcx_date round-trips a datetime.date with pickle', async (t) => {
  const { executor } = await startExecutor(t);
  const outcome = await executor.run(pyTask(DATE, 'funcx_date', [], { serializer: 'pickle', payload: picklePayload('()') }), never);
  if (outcome.status !== 'success') return t.fail(JSON.stringify(outcome));
  t.is(outcome.resultSerializer, 'pickle');
  const decoded = unpickle(outcome.result);
  t.is(decoded.type, 'datetime.date');
  t.is(decoded.repr, python('import datetime; print(repr(datetime.date.today()))'));
});

test('funcx_date with json fails clearly: a date is not JSON-serializable', async (t) => {
  const { executor } = await startExecutor(t);
  const outcome = await executor.run(pyTask(DATE, 'funcx_date'), never);
  t.deepEqual(outcome, {
    status: 'failed',
    exception: {
      type: 'TaskResultNotSerializable',
      message: 'result of type datetime.date is not JSON-serializable; use the pickle serializer',
    },
  });
});

test('pi(10**5) estimates ~3.14, many times concurrently, on at most maxWorkers workers', async (t) => {
  const maxWorkers = 4;
  const { executor, logs } = await startExecutor(t, { maxWorkers });
  const functionId = 'pi-function';
  let mostPids = 0;
  let mostBusy = 0;
  const runs = Array.from({ length: 24 }, () => executor.run(pyTask(PI, 'pi', [10 ** 5], { functionId }), never));
  const watch = setInterval(() => {
    mostPids = Math.max(mostPids, executor.pids().length);
    const { totalWorkers, idleWorkers } = executor.stats();
    mostBusy = Math.max(mostBusy, totalWorkers - idleWorkers);
  }, 5);
  const outcomes = await Promise.all(runs);
  clearInterval(watch);
  for (const outcome of outcomes) {
    if (outcome.status !== 'success') return t.fail(JSON.stringify(outcome));
    const estimate = JSON.parse(outcome.result) as number;
    t.true(estimate > 3 && estimate < 3.3, `pi estimate ${estimate}`);
  }
  // At most: exactly maxWorkers worker processes were ever started (none beyond, none replaced)...
  const started = logs.filter((l) => l.msg === 'worker process started');
  t.is(started.length, maxWorkers, 'worker processes started');
  t.true(mostPids <= maxWorkers, `${mostPids} workers for maxWorkers ${maxWorkers}`);
  // ...and reached: a worker is only started when every other one is busy, so maxWorkers workers
  // each running tasks means maxWorkers tasks ran at once; the executor reported them all busy.
  const pidsOf = (entries: typeof logs) => [...new Set(entries.map((l) => Number(l.workerPid)))].sort((a, b) => a - b);
  t.deepEqual(pidsOf(logs.filter((l) => l.msg === 'task ran in worker')), pidsOf(started));
  t.is(mostBusy, maxWorkers, 'the most tasks the executor had running at once');
  t.deepEqual(executor.stats(), { totalWorkers: maxWorkers, idleWorkers: maxWorkers });
});
