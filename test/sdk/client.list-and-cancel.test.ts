/**
 * The TypeScript SDK and the `funcx` command on listing and cancelling:
 * listTasks / listEndpointTasks pages, cancelTasks / cancelTaskGroup, an
 * Executor future cancelled from elsewhere reports cancelled(); and `funcx
 * task list`, `funcx endpoint tasks`, `funcx task cancel` as a real child process.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { pidsWritten, processGone } from '../helpers/processes.js';
import { Executor, FutureCancelled, InvalidCursor, InvalidTimeBound, TaskAlreadyFinished } from '../../sdk/index.js';
import { clientFor, settle } from './support.js';

const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));
const runFile = promisify(execFile);

const BLOCKS = {
  runtime: 'python' as const,
  source: 'def blocks(pidfile):\n    import os, time\n    with open(pidfile, "w") as f:\n        f.write("%d\\n" % os.getpid())\n    while True:\n        time.sleep(0.05)\n',
  entryPoint: 'blocks',
};
const SQUARE = { runtime: 'python' as const, source: 'def square(x):\n    return x * x\n', entryPoint: 'square' };

async function funcx(live: LiveService, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH!, HOME: live.database.dir, FUNCX_HOME: path.join(live.database.dir, 'cli-home'), FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: live.adminToken };
  try {
    const { stdout, stderr } = await runFile(process.execPath, [FUNCX_CLI, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function workerPid(pidfile: string): Promise<number> {
  let pids: number[] | undefined;
  await waitFor(() => existsSync(pidfile) && (pids = pidsWritten(readFileSync(pidfile, 'utf8'), 1)) !== undefined, 'the task to start');
  return pids![0];
}

serviceTest('SDK: listTasks pages newest first, cancelTasks says which could not be, cancelTaskGroup, and a future cancelled elsewhere is cancelled()', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1 } });
  const fx = clientFor(live, { endpointId: endpoint.endpointId });
  const square = await fx.registerFunction(SQUARE);
  const done = [await fx.run(1, { functionId: square }), await fx.run(2, { functionId: square }), await fx.run(3, { functionId: square })];
  await settle(fx, done);
  const first = await fx.listTasks({ functionId: square, limit: 2, since: '1h', status: ['success'] });
  t.deepEqual(first.tasks.map((task) => task.task_id), [done[2], done[1]]);
  const second = await fx.listTasks({ functionId: square, limit: 2, since: '1h', status: ['success'], cursor: first.next_cursor! });
  t.deepEqual([second.tasks.map((task) => task.task_id), second.next_cursor], [[done[0]], null]);
  await t.throwsAsync(fx.listTasks({ cursor: first.next_cursor! }), { instanceOf: InvalidCursor });
  await t.throwsAsync(fx.listTasks({ since: 'last week' }), { instanceOf: InvalidTimeBound });

  const pidfile = path.join(live.database.dir, 'pid');
  const executor = new Executor({ client: fx, endpointId: endpoint.endpointId });
  t.teardown(() => executor.shutdown({ cancelFutures: true }));
  const future = executor.submit(BLOCKS, pidfile);
  const taskId = await future.submitted;
  const pid = await workerPid(pidfile);
  const onEndpoint = await fx.listEndpointTasks(endpoint.endpointId);
  t.like(onEndpoint.tasks.find((task) => task.task_id === taskId), { status: 'running', attempts: 1 });
  // Not through the future: as another program (or `funcx task cancel`) would.
  const { cancelled, notCancelled } = await fx.cancelTasks([taskId, done[0]]);
  t.deepEqual(cancelled.map((task) => [task.task_id, task.status]), [[taskId, 'cancelled']]);
  t.is(notCancelled.length, 1);
  t.is(notCancelled[0].taskId, done[0]);
  t.true(notCancelled[0].error instanceof TaskAlreadyFinished);
  await t.throwsAsync(future, { instanceOf: FutureCancelled });
  t.true(future.cancelled());
  await waitFor(() => processGone(pid), 'the cancelled task\'s worker to be gone');

  const batch = fx.createBatch();
  batch.add(pidfile + '-a', { functionId: await fx.registerFunction(BLOCKS) });
  batch.add(pidfile + '-b', { functionId: await fx.registerFunction(BLOCKS) });
  const ids = await fx.batchRun(batch);
  const group = (await fx.getTask(ids[0])).task_group_id;
  const answer = await fx.cancelTaskGroup(group);
  t.deepEqual([[...answer.cancelled].sort(), answer.not_cancelled], [[...ids].sort(), []]);
});

serviceTest('funcx task list, endpoint tasks and task cancel (ids or --group): tables, --json, exit codes', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1 } });
  const fx = clientFor(live, { endpointId: endpoint.endpointId });
  const [finished] = [await fx.run(4, { functionId: await fx.registerFunction(SQUARE) })];
  await settle(fx, [finished]);
  const pidfile = path.join(live.database.dir, 'pid');
  const running = await fx.run(pidfile, { functionId: await fx.registerFunction(BLOCKS) });
  const pid = await workerPid(pidfile);

  const listed = await funcx(live, ['task', 'list', '--json', '--since', '1h']);
  t.is(listed.code, 0, listed.stderr);
  t.deepEqual(JSON.parse(listed.stdout).tasks.map((task: { task_id: string }) => task.task_id), [running, finished]);
  const table = await funcx(live, ['task', 'list', '--status', 'running', '--limit', '1']);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /^task_id +\| status +\| function_id/);
  t.true(table.stdout.includes(`${running} | running`), table.stdout);
  const onEndpoint = await funcx(live, ['endpoint', 'tasks', endpoint.endpointId, '--json']);
  t.like(JSON.parse(onEndpoint.stdout).tasks[0], { task_id: running, status: 'running' });
  t.true('owner' in JSON.parse(onEndpoint.stdout).tasks[0]);

  const cancelled = await funcx(live, ['task', 'cancel', running, finished]);
  t.is(cancelled.code, 1, 'one of them had finished');
  t.regex(cancelled.stdout, new RegExp(`^${running} cancelled$`, 'm'));
  t.regex(cancelled.stdout, new RegExp(`^${finished} not cancelled: TaskAlreadyFinished: task ${finished} already finished \\(success\\)$`, 'm'));
  await waitFor(() => processGone(pid), 'the cancelled task\'s worker to be gone');

  const group = (await fx.getTask(finished)).task_group_id;
  const byGroup = await funcx(live, ['task', 'cancel', '--group', group, '--json']);
  t.is(byGroup.code, 0, byGroup.stderr);
  t.deepEqual(JSON.parse(byGroup.stdout), { task_group_id: group, cancelled: [], not_cancelled: [{ task_id: finished, status: 'success' }] });
  t.is((await funcx(live, ['task', 'cancel'])).code, 2);
  t.is((await funcx(live, ['task', 'cancel', running, '--group', group])).code, 2);
  const badSince = await funcx(live, ['task', 'list', '--since', 'yesterday']);
  t.not(badSince.code, 0);
  t.regex(badSince.stderr, /InvalidTimeBound/);
});
