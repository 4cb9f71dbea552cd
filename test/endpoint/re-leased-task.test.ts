/**
 * A task re-leased to the same endpoint after it stalled past the lease: the
 * agent must stop the superseded attempt rather than run both. The endpoint is
 * frozen with a long-poll for work open, so the service leases attempt 2 into
 * that poll while the agent sleeps; on waking, the agent reads the lease answer
 * (already on its socket) before any heartbeat could report attempt 1 lost.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { isAlive } from '../../endpoint/pidfile.js';

const BLOCKING = `def blocking(marker, pidfile):
    import os, time
    with open(pidfile, "a") as f:
        f.write("%d\\n" % os.getpid())
    while not os.path.exists(marker):
        time.sleep(0.02)
    return os.getpid()
`;

function pids(pidfile: string): number[] {
  if (!existsSync(pidfile)) return [];
  return readFileSync(pidfile, 'utf8').split('\n').filter((line, i, all) => i < all.length - 1 && line !== '').map(Number);
}

async function taskRow(live: LiveService, taskId: string) {
  return live.db('tasks').where({ id: taskId }).first();
}

serviceTest('a task leased again to the same endpoint: the superseded attempt is stopped and never reported', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'pids');
  // Two workers: one runs attempt 1 while the lease loop keeps a long-poll open for the other.
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2, poll_wait: '60s' } });
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[marker, pidfile]]);
  await waitFor(() => pids(pidfile).length === 1, 'attempt 1 to start on a worker');
  const [firstWorker] = pids(pidfile);
  if (!(firstWorker > 1)) throw new Error(`not a worker pid: ${firstWorker}`);
  // Let the lease loop reach its next long-poll, with room for one more task.
  await waitFor(() => /"msg":"task started"/.test(endpoint.output()), 'the agent to start attempt 1');

  endpoint.signalGroup('SIGSTOP');
  await waitFor(async () => (await taskRow(live, taskId)).attempts === 2, 'attempt 2 to be leased into the open poll');
  endpoint.signalGroup('SIGCONT');

  await waitFor(() => /dropping the superseded attempt/.test(endpoint.output()), 'the agent to drop attempt 1');
  await waitFor(() => !isAlive(firstWorker), 'the worker of attempt 1 to be stopped');
  await waitFor(() => pids(pidfile).length === 2, 'attempt 2 to start on a worker');
  writeFileSync(marker, '');

  const done = await waitForTasks(live, [taskId]);
  t.is(done[taskId].status, 'success');
  t.is(done[taskId].attempts, 2);
  t.not(JSON.parse(done[taskId].result), firstWorker);
  // Attempt 1's result was never posted (the service would have refused it on its stale token).
  t.notRegex(endpoint.output(), /result refused/);
}, { leaseTimeout: '2s', reapInterval: '100ms', maxRetries: 3 });
