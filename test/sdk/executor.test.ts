/**
 * Executor against a real service and endpoint: futures, map, batching (seen
 * as fewer HTTP submits), registration once, shutdown with cancelFutures,
 * and `await using`.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { Executor, FutureCancelled, RemoteException, type TaskFuture } from '../../sdk/index.js';
import { clientFor } from './support.js';

const squared = { runtime: 'python' as const, source: 'def squared(x):\n    return x**2\n', entryPoint: 'squared' };

serviceTest('futures, map and batching: same-tick submissions leave in one request, functions register once', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const client = clientFor(live);
  const executor = new Executor({ client, endpointId: endpoint.endpointId });
  const sent = (key: string) => client.http.sent.get(key) ?? 0;
  try {
    const futures = Array.from({ length: 10 }, (_, x) => executor.submit<number>(squared, x));
    const add = executor.submit<number>((a: number, b: number) => a + b, 2, 3);
    t.is(futures[0].taskId, undefined); // not sent yet: the batch leaves at the end of the tick
    t.deepEqual(await Promise.all(futures), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    t.is(await add, 5);
    t.regex(futures[3].taskId!, /^[0-9a-f-]{36}$/);
    t.is(await futures[3].submitted, futures[3].taskId!);
    t.true(futures.every((future) => future.done));
    t.is(sent('POST /v3/submit'), 1, 'eleven submissions, one request');
    t.is(sent('POST /v3/functions'), 2, 'two functions, each registered once');

    // The same definition again: no new registration; map sends its calls as one batch.
    t.deepEqual(await executor.map(squared, [4, 5, 6]), [16, 25, 36]);
    t.deepEqual(await executor.map((a: number, b: number) => a * b, [1, 2, 3], [10, 20, 30, 40]), [10, 40, 90]);
    t.is(sent('POST /v3/submit'), 3);
    t.is(sent('POST /v3/functions'), 3);

    // Futures submitted over several ticks, while others are being waited for: still one long-poll at a time.
    const sleeper = { runtime: 'python' as const, source: 'def nap(x):\n    import time\n    time.sleep(0.05)\n    return x\n', entryPoint: 'nap' };
    const waves: TaskFuture<number>[] = [];
    for (let wave = 0; wave < 4; wave++) {
      waves.push(...Array.from({ length: 5 }, (_, i) => executor.submit<number>(sleeper, wave * 5 + i)));
      await waves.at(-1)!.submitted; // the next wave joins while this one is being waited for
    }
    t.deepEqual(await Promise.all(waves), Array.from({ length: 20 }, (_, i) => i));
    t.is(client.http.peakInFlight.get('POST /v3/tasks/wait'), 1, 'one waiter loop for every future');

    // A function that cannot be sent is refused at submit, not later; a registered one runs by its id.
    t.throws(() => executor.submit({ double(x: number) { return 2 * x; } }.double, 1), { code: 'InvalidArgument' } as never);
    const functionId = await client.registerFunction((x: number) => -x);
    t.is(await executor.submit({ functionId }, 7), -7);

    // A remote exception rejects its future with the remote type and traceback.
    const failing = executor.submit({ runtime: 'python', source: 'def failing(x):\n    raise ValueError(f"bad {x}")\n', entryPoint: 'failing' }, 7);
    const error = await t.throwsAsync(failing, { instanceOf: RemoteException });
    t.is(error.remoteType, 'ValueError');
    t.is(error.remoteMessage, 'bad 7');
    t.regex(error.remoteTraceback!, /in failing/);
    t.is((await client.getTask(failing.taskId!)).status, 'failed');
  } finally {
    await executor.shutdown();
  }
});

serviceTest('shutdown({cancelFutures}) cancels queued and running tasks; `await using` waits for the futures', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const client = clientFor(live);
  const sleeper = { runtime: 'python' as const, source: 'def sleeper(s):\n    import time\n    time.sleep(s)\n    return s\n', entryPoint: 'sleeper' };

  // `await using`: leaving the block waits for every future (Symbol.asyncDispose → shutdown({wait: true})).
  let quick: TaskFuture<number>;
  {
    await using executor = new Executor({ client, endpointId: endpoint.endpointId });
    quick = executor.submit<number>(sleeper, 0);
  }
  t.true(quick.done);
  t.is(await quick, 0);

  const executor = new Executor({ client, endpointId: endpoint.endpointId });
  // The endpoint has 2 workers: two tasks run, the others wait in the ledger.
  const long = Array.from({ length: 4 }, () => executor.submit(sleeper, 60));
  const taskIds = await Promise.all(long.map((future) => future.submitted));
  const neverSent = executor.submit(sleeper, 60);
  await executor.shutdown({ cancelFutures: true });
  for (const future of [...long, neverSent]) await t.throwsAsync(future, { instanceOf: FutureCancelled });
  t.is(neverSent.taskId, undefined);
  const records = await client.getTasks(taskIds);
  t.deepEqual(taskIds.map((id) => records[id].status), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  t.throws(() => executor.submit(sleeper, 1), { code: 'ExecutorShutDown' } as never);
});
