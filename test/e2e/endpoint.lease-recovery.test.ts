/**
 * No lease waits for nobody, with a real service and real agent processes:
 * graceful restarts under load hand back what the last poll brought, an agent
 * killed with -9 has its leases returned by its successor at start, and a lease
 * answer lost on the way (the service killed right after it leased) is
 * returned when the agent reconnects. The lease is 120 s in every test and the
 * bound on the work far below it, so a task left to wait out its lease fails
 * the test; and no returned task may cost an attempt.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { within } from '../helpers/within.js';

const LONG_LEASE = { leaseTimeout: '120s' };
/** Far under the 120 s lease, far over the work (a few seconds) even on a loaded machine. */
const BOUND_MS = 75_000;

type Task = { status: string; attempts: number; details?: { attempt_history: { reason: string }[] } };
const reasons = (task: Task) => (task.details?.attempt_history ?? []).map((a) => a.reason);

async function runningIds(live: LiveService): Promise<string[]> {
  return (await live.db('tasks').where({ state: 'running' }).select('id')).map((r: { id: string }) => r.id);
}

async function finishedCount(live: LiveService): Promise<number> {
  return Number((await live.db('tasks').where({ state: 'success' }).count({ n: '*' }))[0].n);
}

serviceTest('graceful restarts under load strand no lease: every task runs under its first lease, no attempt lost, none waits out a lease', async (t, live) => {
  let endpoint = await startEndpointProcess(t, live, { config: { log_level: 'info' } });
  const home = path.dirname(endpoint.paths.dir);
  const fn = await registerPython(live, 'def work(i):\n    import time\n    time.sleep(0.02)\n    return i\n', 'work');
  const ids = await submit(live, endpoint.endpointId, fn, Array.from({ length: 600 }, (_, i) => [i]));
  const stops: string[] = [];
  for (const after of [60, 200, 340]) {
    await waitFor(async () => (await finishedCount(live)) >= after, `${after} tasks to finish`, BOUND_MS);
    endpoint.signal('SIGTERM');
    await endpoint.exited;
    stops.push(endpoint.output());
    endpoint = await startEndpointProcess(t, live, { home, config: { log_level: 'info' } });
  }
  const done = await within(BOUND_MS, 'every task to finish after three graceful restarts', waitForTasks(live, ids)) as Record<string, Task>;
  t.deepEqual(ids.filter((id) => done[id].status !== 'success'), []);
  // Not one task had a lease returned by anything but a clean hand-back: none lost (EndpointLost),
  // none left for the next start's reconcile (LeaseReturned), every attempt its first.
  t.deepEqual(ids.filter((id) => reasons(done[id]).length > 0).map((id) => [id, reasons(done[id])]), []);
  t.deepEqual(ids.filter((id) => done[id].attempts !== 1), []);
  for (const output of stops) t.notRegex(output, /did not end when asked/);
}, LONG_LEASE);

serviceTest('kill -9 of the agent mid-load: its leases return at its restart, uncounted (LeaseReturned), and every task finishes once', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const started = path.join(live.database.dir, 'started');
  const first = await startEndpointProcess(t, live, { env: { FUNCX_TEST_TAG: 'first' } });
  const fn = await registerPython(live, `def gated(i, marker, started):
    import os, time
    with open(started, "a") as f:
        f.write("%d\\n" % i)
    while not os.path.exists(marker):
        time.sleep(0.02)
    return [i, os.environ.get("FUNCX_TEST_TAG", "")]
`, 'gated');
  const ids = await submit(live, first.endpointId, fn, Array.from({ length: 40 }, (_, i) => [i, marker, started]));
  // Workers are half-way through tasks (and more are leased ahead) when the agent dies.
  await waitFor(() => existsSync(started) && readFileSync(started, 'utf8').endsWith('\n'), 'a task to start on a worker');
  first.signalGroup('SIGKILL');
  await first.exited;
  const held = await runningIds(live);
  t.true(held.length >= 1, 'the killed agent held leases');

  writeFileSync(marker, '');
  const second = await startEndpointProcess(t, live, { home: path.dirname(first.paths.dir), env: { FUNCX_TEST_TAG: 'second' } });
  t.is(second.endpointId, first.endpointId);
  const done = await within(BOUND_MS, 'every task to finish, the killed agent\'s included', waitForTasks(live, ids)) as Record<string, Task & { result: string }>;
  t.deepEqual(ids.filter((id) => done[id].status !== 'success'), []);
  t.deepEqual(ids.filter((id) => done[id].attempts !== 1), []); // returned, not counted
  for (const id of ids) {
    t.deepEqual(reasons(done[id]), held.includes(id) ? ['LeaseReturned'] : [], id);
    t.is(JSON.parse(done[id].result)[1], 'second'); // one result each, from the run that finished it
  }
  t.regex(second.output(), /leases this agent no longer held/);
}, LONG_LEASE);

serviceTest('a lease answer lost on its way (the service killed after leasing): the agent reconnects and the task returns at once, uncounted', async (t, live) => {
  const proxy = await startTcpProxy(t, live.url);
  const endpoint = await startEndpointProcess(t, { ...live, url: proxy.url });
  const fn = await registerPython(live, 'def work(i):\n    return i\n', 'work');
  proxy.dropAnswerWhen = /"tasks":\[\{/; // the first answer that carries a task
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[7]]);
  await proxy.dropped;
  const done = await within(BOUND_MS, 'the task whose lease answer was lost to finish', waitForTasks(live, [taskId])) as Record<string, Task & { result: string }>;
  t.is(done[taskId].status, 'success');
  t.is(JSON.parse(done[taskId].result), 7);
  t.is(done[taskId].attempts, 1);
  t.deepEqual(reasons(done[taskId]), ['LeaseReturned']);
}, LONG_LEASE);
