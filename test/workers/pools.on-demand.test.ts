/**
 * Runtime pools on demand: no worker runs before its runtime's first task; a
 * pool idle for the configured time shrinks to nothing (the next task starts a
 * fresh worker); and worker processes across runtimes stay within
 * max_workers, a runtime that needs one ending another's idle worker.
 */
import test from 'ava';
import { isAlive } from '../../endpoint/pidfile.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { never, pyTask, startExecutor, task } from './helpers.js';

const PY = 'def f():\n    import os\n    return os.getpid()\n';
const JS_SLOW = 'function f(ms) { return new Promise((resolve) => setTimeout(() => resolve(process.pid), ms)) }';

test('no worker starts before the first task of its runtime, which starts one', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 4 });
  t.deepEqual(executor.pids(), []);
  const outcome = await executor.run(pyTask(PY, 'f'), never);
  t.is(outcome.status, 'success');
  t.is(executor.pids().length, 1);
});

test('a pool idle for the idle time shrinks to nothing; the next task starts a fresh worker', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 2, workerIdleMs: 200 });
  const first = await executor.run(pyTask(PY, 'f'), never);
  t.is(first.status, 'success');
  const firstPid = Number(JSON.parse((first as { result: string }).result));
  await waitFor(() => executor.pids().length === 0, 'the idle worker to be ended');
  await waitFor(() => !isAlive(firstPid), 'the idle worker process to exit');
  const second = await executor.run(pyTask(PY, 'f'), never);
  t.is(second.status, 'success');
  t.not(Number(JSON.parse((second as { result: string }).result)), firstPid);
});

test('worker processes across runtimes stay within max_workers: a python task ends an idle javascript worker', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 2, workerIdleMs: 0 });
  // Two at once: the javascript pool grows to two workers.
  const js = (ms: number) => task({ runtime: 'javascript', source: JS_SLOW, payload: JSON.stringify({ args: [ms], kwargs: {} }) });
  const outcomes = await Promise.all([executor.run(js(300), never), executor.run(js(300), never)]);
  const jsPids = outcomes.map((o) => Number(JSON.parse((o as { result: string }).result)));
  t.is(new Set(jsPids).size, 2);
  t.deepEqual(executor.pids().sort(), [...jsPids].sort());

  const py = await executor.run(pyTask(PY, 'f'), never);
  t.is(py.status, 'success');
  const pyPid = Number(JSON.parse((py as { result: string }).result));
  t.is(executor.pids().length, 2);
  t.true(executor.pids().includes(pyPid));
  await waitFor(() => jsPids.filter((pid) => isAlive(pid)).length === 1, 'one javascript worker to be ended');
});
