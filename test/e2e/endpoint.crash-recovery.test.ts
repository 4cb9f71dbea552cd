/**
 * Faults the ledger must survive: the endpoint killed mid-task, a worker killed,
 * an endpoint frozen past its lease. Each task blocks on a marker file the test
 * creates, so no step depends on timing.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const BLOCKING = `def blocking(marker, pidfile):
    import os, time
    with open(pidfile, "a") as f:
        f.write("%d\\n" % os.getpid())
    while not os.path.exists(marker):
        time.sleep(0.02)
    return os.environ.get("FUNCX_TEST_TAG", "")
`;

const leaseSettings = { leaseTimeout: '2s', reapInterval: '100ms', maxRetries: 3 };

async function taskRow(live: import('../helpers/service.js').LiveService, taskId: string) {
  return live.db('tasks').where({ id: taskId }).first();
}

serviceTest('kill -9 of the endpoint mid-task: its restart returns the lease (uncounted), the task is retried and its result stored once', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  const first = await startEndpointProcess(t, live, { env: { FUNCX_TEST_TAG: 'first' } });
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const [taskId] = await submit(live, first.endpointId, fn, [[marker, pidfile]]);
  await waitFor(() => existsSync(pidfile), 'the task to start on a worker');

  first.signalGroup('SIGKILL');
  await first.exited;
  writeFileSync(marker, '');
  const second = await startEndpointProcess(t, live, { home: path.dirname(first.paths.dir), env: { FUNCX_TEST_TAG: 'second' } });
  t.is(second.endpointId, first.endpointId); // the same endpoint, restarted

  const done = await waitForTasks(live, [taskId], 75_000);
  t.is(done[taskId].status, 'success');
  t.is(JSON.parse(done[taskId].result), 'second');
  // The restarted agent's reconcile returned the lease at once (endpoint.lease-recovery.test.ts):
  // under a 2-minute lease, the task could not have finished within the 75 s bound otherwise.
  t.is(done[taskId].attempts, 1);
  t.deepEqual(done[taskId].details.attempt_history.map((a: { reason: string }) => a.reason), ['LeaseReturned']);
}, { leaseTimeout: '120s' });

serviceTest('kill -9 of a worker: WorkerLost, retried on a fresh worker', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  const endpoint = await startEndpointProcess(t, live);
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[marker, pidfile]]);
  // Wait for a whole line: the file exists before the pid is flushed, and Number('') is 0,
  // which process.kill would take as "this whole process group".
  await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').endsWith('\n'), 'the task to start on a worker');
  const workerPid = Number(readFileSync(pidfile, 'utf8').split('\n')[0]);
  if (!(workerPid > 1)) throw new Error(`not a worker pid: ${workerPid}`);
  // Kill before creating the marker: the other order races (the first attempt could see the
  // marker and finish before the signal lands). A killed process runs no more code, so the
  // marker can only release the retry.
  process.kill(workerPid, 'SIGKILL');
  writeFileSync(marker, '');

  const done = await waitForTasks(live, [taskId]);
  t.is(done[taskId].status, 'success');
  t.is(done[taskId].attempts, 2, JSON.stringify(done[taskId].details) + endpoint.output().split('\n').filter((l) => /warn|lost|retry|WorkerLost|error/i.test(l)).join('\n'));
  t.deepEqual(done[taskId].details.attempt_history.map((a: { reason: string }) => a.reason), ['WorkerLost']);
  const pids = readFileSync(pidfile, 'utf8').trim().split('\n');
  t.is(pids.length, 2);
  t.not(pids[0], pids[1]); // a new worker ran the retry
});

serviceTest('SIGSTOP past the lease, then SIGCONT: the stale result is refused, the retried one stands', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  // One worker, no prefetch: while busy it has no lease poll in flight that could receive attempt 2.
  const frozen = await startEndpointProcess(t, live, { env: { FUNCX_TEST_TAG: 'frozen' }, config: { max_workers: 1 } });
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const [taskId] = await submit(live, frozen.endpointId, fn, [[marker, pidfile]]);
  await waitFor(() => existsSync(pidfile), 'attempt 1 to start on a worker');

  frozen.signalGroup('SIGSTOP');
  await waitFor(async () => (await taskRow(live, taskId)).state === 'waiting-for-ep', 'the expired lease to be reclaimed');

  // A second agent with the same identity (as after a fail-over) takes attempt 2.
  const otherHome = path.join(live.database.dir, 'other-home');
  mkdirSync(path.join(otherHome, frozen.name), { recursive: true });
  copyFileSync(frozen.paths.identity, path.join(otherHome, frozen.name, 'endpoint.json'));
  const rescuer = await startEndpointProcess(t, live, { home: otherHome, env: { FUNCX_TEST_TAG: 'rescuer', FUNCX_TOKEN: '' } });
  t.is(rescuer.endpointId, frozen.endpointId);
  await waitFor(async () => (await taskRow(live, taskId)).attempts === 2, 'attempt 2 to be leased');

  // Both workers now finish; only attempt 2's lease is valid.
  writeFileSync(marker, '');
  frozen.signalGroup('SIGCONT');
  const done = await waitForTasks(live, [taskId]);
  t.is(done[taskId].status, 'success');
  t.is(JSON.parse(done[taskId].result), 'rescuer');
  t.is(done[taskId].attempts, 2);
  t.deepEqual(done[taskId].details.attempt_history.map((a: { reason: string }) => a.reason), ['EndpointLost']);
  // The thawed agent learns its lease is gone (heartbeat) or has its result refused; either way nothing it did was stored.
  await waitFor(() => /result refused|dropping task/.test(frozen.output()), 'the frozen endpoint to learn its lease was lost');
  t.is(JSON.parse((await waitForTasks(live, [taskId]))[taskId].result), 'rescuer');
}, leaseSettings);
