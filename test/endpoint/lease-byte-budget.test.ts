/**
 * An endpoint whose prefetch has room for many large payloads, under a small old space, leases
 * them a few at a time (the lease byte budget, endpoint/leaseBudget.ts) and runs them all. Without
 * the budget its first lease would bring all 40 (200 MB) into a heap of 96 MiB, and it would die.
 */
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const TASKS = 40;
const PAYLOAD_CHARS = 5_000_000;

test('an endpoint with room for 40 payloads of 5 MB leases within its heap and runs them all', async (t) => {
  t.timeout(600_000);
  const live = await startLiveService(t, 'sqlite');
  const endpoint = await startEndpointProcess(t, live, {
    config: { max_workers: 1, prefetch: TASKS, log_level: 'info' },
    env: { NODE_OPTIONS: '--max-old-space-size=96 --max-semi-space-size=1' },
  });
  const fn = await registerPython(live, 'def size(text, n):\n    return [n, len(text)]\n', 'size');
  const taskIds: string[] = [];
  // Submitted 8 at a time (40 MB): under the service's request body limit.
  for (let first = 0; first < TASKS; first += 8) {
    const payloads = Array.from({ length: 8 }, (_, i) => JSON.stringify({ args: ['x'.repeat(PAYLOAD_CHARS), first + i], kwargs: {} }));
    taskIds.push(...(await submit(live, endpoint.endpointId, fn, [], { payloads })));
  }
  const died = endpoint.exited.then((how) => {
    throw new Error(`the endpoint exited (${how}) before the tasks finished:\n${endpoint.output().slice(-4000)}`);
  });
  const finished = waitForTasks(live, taskIds, 300_000).catch((error: Error) => {
    throw new Error(`${error.message}\nthe endpoint's log:\n${endpoint.output().slice(-6000)}`);
  });
  const done = await Promise.race([finished, died]);
  t.deepEqual(taskIds.map((id) => done[id].status), Array(TASKS).fill('success'));
  t.deepEqual(taskIds.map((id) => JSON.parse(done[id].result)), taskIds.map((_, i) => [i, PAYLOAD_CHARS]));
  t.is(endpoint.child.exitCode, null, 'the endpoint is still running');
  t.notRegex(endpoint.output(), /heap out of memory/);
});
