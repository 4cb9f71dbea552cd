/**
 * Cancelling a running task on a real endpoint: its worker's whole process
 * group (the task and what it started) is gone, the task stays cancelled
 * with no result, and the next task runs on a fresh worker. Heartbeats are
 * a minute apart here, so only the cancel watch (endpoint/cancelWatch.ts)
 * can bring the cancel within the waits below.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { pidsWritten, processGone } from '../helpers/processes.js';

/** Writes its own pid and a child's, then blocks until cancelled. */
const PYTHON_BLOCKS = `def blocks(pidfile):
    import os, subprocess, time
    child = subprocess.Popen(["sleep", "1000"])
    with open(pidfile, "w") as f:
        f.write("%d\\n%d\\n" % (os.getpid(), child.pid))
    while True:
        time.sleep(0.05)
`;

const PYTHON_PID = `def pid():
    import os
    return os.getpid()
`;

const slowHeartbeats = { heartbeat_period: '60s', max_workers: 1 };
const longLeases = { leaseTimeout: '600s' };

async function startedPids(pidfile: string, count: number): Promise<number[]> {
  let pids: number[] | undefined;
  await waitFor(() => existsSync(pidfile) && (pids = pidsWritten(readFileSync(pidfile, 'utf8'), count)) !== undefined, 'the task to write its pids', 60_000);
  return pids!;
}

async function cancel(live: LiveService, taskId: string): Promise<void> {
  const answer = await live.call('POST', `/v3/tasks/${taskId}/cancel`);
  if (answer.status !== 200) throw new Error(`cancel failed: ${JSON.stringify(answer.body)}`);
}

serviceTest('a running Python task cancelled: its worker and the worker\'s children are gone, and the next task runs on a fresh worker', async (t, live) => {
  const pidfile = path.join(live.database.dir, 'pids');
  const endpoint = await startEndpointProcess(t, live, { config: slowHeartbeats });
  const blocks = await registerPython(live, PYTHON_BLOCKS, 'blocks');
  const [taskId] = await submit(live, endpoint.endpointId, blocks, [[pidfile]]);
  const [workerPid, childPid] = await startedPids(pidfile, 2);
  await cancel(live, taskId);
  await waitFor(() => processGone(workerPid) && processGone(childPid), 'the cancelled task\'s worker and its child to be gone');
  // The agent logs through a buffered stream: wait for the line rather than expect it already written.
  await waitFor(() => endpoint.output().includes('"why":"cancelled"'), 'the agent to log the task dropped as cancelled');
  const pid = await registerPython(live, PYTHON_PID, 'pid');
  const [next] = await submit(live, endpoint.endpointId, pid, [[]]);
  const done = await waitForTasks(live, [next]);
  t.is(done[next].status, 'success');
  t.not(JSON.parse(done[next].result), workerPid);
  const cancelled = (await live.call('GET', `/v3/tasks/${taskId}`)).body;
  t.like(cancelled, { status: 'cancelled', attempts: 1, exception: { type: 'TaskCancelled' } });
  t.false('result' in cancelled);
}, longLeases);

serviceTest('a running shell task cancelled: the shell and its background job are gone; a queued task behind it never starts', async (t, live) => {
  const pidfile = path.join(live.database.dir, 'pids');
  const neverRan = path.join(live.database.dir, 'never-ran');
  const endpoint = await startEndpointProcess(t, live, { config: slowHeartbeats });
  const fn = await live.call('POST', '/v3/functions', { body: { runtime: 'shell', source: 'sleep 1000 & echo $$ > {pidfile}.tmp; echo $! >> {pidfile}.tmp; mv {pidfile}.tmp {pidfile}; wait' } });
  const touch = await live.call('POST', '/v3/functions', { body: { runtime: 'shell', source: 'touch {path}' } });
  const submitShell = async (functionId: string, kwargs: Record<string, string>) => {
    const answer = await live.call('POST', `/v3/endpoints/${endpoint.endpointId}/submit`, { body: { tasks: { [functionId]: [JSON.stringify({ args: [], kwargs })] } } });
    return answer.body.tasks[functionId][0] as string;
  };
  const running = await submitShell(fn.body.function_uuid, { pidfile });
  const [shellPid, jobPid] = await startedPids(pidfile, 2);
  // max_workers 1: this one waits behind the running one (on the endpoint, or still in the ledger).
  const queued = await submitShell(touch.body.function_uuid, { path: neverRan });
  await cancel(live, queued);
  await cancel(live, running);
  await waitFor(() => processGone(shellPid) && processGone(jobPid), 'the cancelled shell and its background job to be gone');
  const after = await submitShell(touch.body.function_uuid, { path: path.join(live.database.dir, 'ran') });
  const done = await waitForTasks(live, [after]);
  t.like(done[after], { status: 'success' });
  t.false(existsSync(neverRan));
  t.like((await live.call('GET', `/v3/tasks/${queued}`)).body, { status: 'cancelled' });
  t.like((await live.call('GET', `/v3/tasks/${running}`)).body, { status: 'cancelled', attempts: 1 });
}, longLeases);
