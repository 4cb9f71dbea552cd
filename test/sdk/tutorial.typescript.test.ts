/**
 * The seeds' funcX tutorial in TypeScript, step by step, through the SDK, a
 * real service, a real `funcx-endpoint` process and real python3 / node /
 * shell workers; then the same flow with a JavaScript function and a ShellFunction.
 */
import { inspect } from 'node:util';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { RemoteException, ShellFunction, TaskPending, type ShellResult } from '../../sdk/index.js';
import { clientFor, settle } from './support.js';

const python = (source: string, entryPoint: string) => ({ runtime: 'python' as const, source, entryPoint });

serviceTest('the funcX tutorial with Python functions, through the TypeScript SDK', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const fxc = clientFor(live);
  const tutorialEndpoint = endpoint.endpointId;

  // Registering and running a function; the result, once the task is done.
  const helloWorld = python('def hello_world():\n    return "Hello World!"\n', 'hello_world');
  const funcUuid = await fxc.registerFunction(helloWorld);
  t.regex(funcUuid, /^[0-9a-f-]{36}$/);
  const res = await fxc.run({ endpointId: tutorialEndpoint, functionId: funcUuid });
  // Right after submitting, the task is most likely still queued: getResult says so with TaskPending.
  try {
    t.is(await fxc.getResult(res), 'Hello World!');
  } catch (error) {
    t.true(error instanceof TaskPending, String(error));
  }

  // Functions with arguments, with dependencies, calling external applications.
  const sumFunction = await fxc.registerFunction(python('def funcx_sum(items):\n    return sum(items)\n', 'funcx_sum'));
  const sumTask = await fxc.run([1, 2, 3, 4, 5], { endpointId: tutorialEndpoint, functionId: sumFunction });
  const dateFunction = await fxc.registerFunction(python('def funcx_date():\n    from datetime import date\n    return date.today()\n', 'funcx_date'));
  const dateTask = await fxc.run({ endpointId: tutorialEndpoint, functionId: dateFunction });
  const isoDateFunction = await fxc.registerFunction(python('def funcx_date():\n    from datetime import date\n    return date.today().isoformat()\n', 'funcx_date'));
  const isoDateTask = await fxc.run({ endpointId: tutorialEndpoint, functionId: isoDateFunction });
  const echoFunction = await fxc.registerFunction(python('def funcx_echo(name):\n    import os\n    return os.popen("echo Hello %s" % name).read()\n', 'funcx_echo'));
  const echoTask = await fxc.run('World', { endpointId: tutorialEndpoint, functionId: echoFunction });
  const failingFunction = await fxc.registerFunction(python('def failing():\n    raise Exception("deterministic failure")\n', 'failing'));
  const failingTask = await fxc.run({ endpointId: tutorialEndpoint, functionId: failingFunction });

  // Running functions many times: pi estimated three times.
  const piFunction = await fxc.registerFunction(python([
    'def pi(num_points):',
    '    from random import random',
    '    inside = 0',
    '    for i in range(num_points):',
    '        x, y = random(), random()',
    '        if x**2 + y**2 < 1:',
    '            inside += 1',
    '    return (inside*4 / num_points)',
  ].join('\n') + '\n', 'pi'));
  const estimates: string[] = [];
  for (let i = 0; i < 3; i++) estimates.push(await fxc.run(10 ** 5, { endpointId: tutorialEndpoint, functionId: piFunction }));

  // Running batches: squared(0..9) in one request.
  const squaredFunction = await fxc.registerFunction(python('def squared(x):\n    return x**2\n', 'squared'));
  const batch = fxc.createBatch();
  for (const x of Array.from({ length: 10 }, (_, i) => i)) batch.add(x, { endpointId: tutorialEndpoint, functionId: squaredFunction });
  const batchRes = await fxc.batchRun(batch);
  t.is(batchRes.length, 10);

  await settle(fxc, [res, sumTask, dateTask, isoDateTask, echoTask, failingTask, ...estimates, ...batchRes]);
  t.is(await fxc.getResult(res), 'Hello World!');
  t.is((await fxc.getTask(res)).pending, false);
  t.is(await fxc.getResult(sumTask), 15);
  t.is(await fxc.getResult(echoTask), 'Hello World\n');
  t.regex(await fxc.getResult(isoDateTask) as string, /^\d{4}-\d{2}-\d{2}$/);
  // A date is not JSON: the json serializer refuses it on the endpoint, and getResult says why.
  const dateError = await t.throwsAsync(fxc.getResult(dateTask), { instanceOf: RemoteException });
  t.is(dateError.remoteType, 'TaskResultNotSerializable');
  t.regex(dateError.message, /date/);

  // Catching exceptions: the remote one is re-thrown, with its remote traceback.
  const failure = await t.throwsAsync(fxc.getResult(failingTask), { instanceOf: RemoteException });
  t.is(failure.remoteType, 'Exception');
  t.is(failure.remoteMessage, 'deterministic failure');
  t.is(failure.code, 'Exception');
  t.regex(failure.remoteTraceback!, /Traceback[\s\S]*in failing[\s\S]*deterministic failure/);
  t.regex(failure.stack!, /Remote traceback[\s\S]*deterministic failure/);

  const results = await Promise.all(estimates.map((id) => fxc.getResult(id) as Promise<number>));
  for (const estimate of results) t.true(estimate > 3 && estimate < 3.3, `pi estimate ${estimate}`);
  const average = results.reduce((a, b) => a + b, 0) / results.length;
  t.true(average > 3 && average < 3.3);

  const batchResult = await fxc.getBatchResult(batchRes);
  t.deepEqual(batchRes.map((id) => batchResult[id].result), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  t.true(batchRes.every((id) => batchResult[id].status === 'success' && batchResult[id].pending === false));

  // Describing and discovering functions.
  const described = await fxc.registerFunction(helloWorld, { description: 'hello world function', public: true, searchable: true });
  const searchResults = await fxc.searchFunction('hello', { offset: 0, limit: 5 });
  // q matches name, description, owner or source: both hello_worlds, and funcx_echo's "echo Hello %s".
  t.is(searchResults.total, 3);
  t.is(searchResults.length, 3);
  t.is(searchResults[0].function_uuid, described); // newest first
  t.is(searchResults[0].description, 'hello world function');
  t.true(Array.isArray(searchResults));
  const table = String(searchResults);
  t.regex(table, /^function_uuid\s+\| name\s+\| runtime/);
  t.true(table.includes(described) && table.includes('hello_world') && table.includes('(1-3 of 3)'), table);
  t.is(inspect(searchResults), table);
  t.deepEqual(searchResults.map((f) => f.name).sort(), ['funcx_echo', 'hello_world', 'hello_world']); // map gives a plain array

  // Managing endpoints: status, workers and tasks from the latest heartbeat.
  await waitFor(async () => (await fxc.getEndpointStatus(tutorialEndpoint)).logs.length > 0, 'a heartbeat');
  const endpointStatus = await fxc.getEndpointStatus(tutorialEndpoint);
  t.is(endpointStatus.status, 'online');
  t.is(endpointStatus.logs[0].total_workers, 2);
  t.is(typeof endpointStatus.logs[0].outstanding_tasks, 'number');
});

serviceTest('the same flow with a JavaScript function and a ShellFunction', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const fxc = clientFor(live, { endpointId: endpoint.endpointId }); // the endpoint by default, as quickstart.json gives it

  const sumFunction = await fxc.registerFunction(function funcxSum(items: number[]) {
    return items.reduce((total, x) => total + x, 0);
  });
  const record = await fxc.getFunction(sumFunction);
  t.is(record.runtime, 'javascript');
  t.is(record.name, 'funcxSum');
  const greet = await fxc.registerFunction((name: string, options?: { punctuation: string }) => `Hello ${name}${options?.punctuation ?? ''}`);
  const failing = await fxc.registerFunction(function failing() {
    throw new RangeError('deterministic failure');
  });
  const squared = await fxc.registerFunction((x: number) => x ** 2);
  const echo = await fxc.registerFunction(new ShellFunction('echo Hello {name}'));
  const slow = await fxc.registerFunction(new ShellFunction('sleep 30; echo too late', { walltime: 1 }));
  t.is((await fxc.getFunction(echo)).runtime, 'shell');

  const sumTask = await fxc.run([1, 2, 3, 4, 5], { functionId: sumFunction });
  const greetTask = await fxc.run('World', { functionId: greet, kwargs: { punctuation: '!' } });
  const failingTask = await fxc.run({ functionId: failing });
  const echoTask = await fxc.run({ functionId: echo, kwargs: { name: 'World' } });
  const slowTask = await fxc.run({ functionId: slow });
  const batch = fxc.createBatch();
  for (let x = 0; x < 10; x++) batch.add(x, { functionId: squared });
  const squares = await fxc.batchRun(batch);

  await settle(fxc, [sumTask, greetTask, failingTask, echoTask, slowTask, ...squares]);
  t.is(await fxc.getResult(sumTask), 15);
  t.is(await fxc.getResult(greetTask), 'Hello World!'); // kwargs reach a JavaScript function as one last object
  const failure = await t.throwsAsync(fxc.getResult(failingTask), { instanceOf: RemoteException });
  t.is(failure.remoteType, 'RangeError');
  t.is(failure.remoteMessage, 'deterministic failure');
  t.regex(failure.remoteTraceback!, /RangeError: deterministic failure\n\s+at failing/);
  const shell = await fxc.getResult(echoTask) as ShellResult;
  t.is(shell.stdout, 'Hello World\n');
  t.is(shell.returncode, 0);
  const killed = await fxc.getResult(slowTask) as ShellResult;
  t.is(killed.returncode, 124); // the walltime ended it
  t.false(killed.stdout.includes('too late'));
  const batchResult = await fxc.getBatchResult(squares);
  t.deepEqual(squares.map((id) => batchResult[id].result), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
});
