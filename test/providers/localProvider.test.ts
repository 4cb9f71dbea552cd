/**
 * The local provider on its own: a block is a process group running its job
 * script; status follows the process; cancel ends the whole group.
 */
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { LocalProvider } from '../../endpoint/providers/local.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { isAlive } from '../../endpoint/pidfile.js';

function setup(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-local-provider-'));
  const provider = new LocalProvider();
  t.teardown(async () => {
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, provider };
}

test('a block runs worker_init then its command; a clean exit is completed', async (t) => {
  const { dir, provider } = setup(t);
  const out = path.join(dir, 'ran');
  const jobId = await provider.submit({ blockId: 'b1', scriptDir: dir, workerInit: [`echo init > ${out}`], command: ['sh', '-c', `echo "command $0" >> ${out}`, 'arg with space'] });
  await waitFor(async () => (await provider.status([jobId])).get(jobId)!.state !== 'running', 'the block to end');
  t.deepEqual((await provider.status([jobId])).get(jobId), { state: 'completed', detail: 'code 0' });
  t.is(readFileSync(out, 'utf8'), 'init\ncommand arg with space\n');
  t.true(existsSync(path.join(dir, 'b1.sh')));
});

test('a failing block is failed, with its exit code', async (t) => {
  const { dir, provider } = setup(t);
  const jobId = await provider.submit({ blockId: 'b1', scriptDir: dir, workerInit: ['false'], command: ['true'] });
  await waitFor(async () => (await provider.status([jobId])).get(jobId)!.state !== 'running', 'the block to end');
  t.deepEqual((await provider.status([jobId])).get(jobId), { state: 'failed', detail: 'code 1' });
});

test('cancel ends the block and everything it started (its process group)', async (t) => {
  const { dir, provider } = setup(t);
  const pidfile = path.join(dir, 'child.pid');
  // The block starts a background grandchild, as a manager starts workers.
  const jobId = await provider.submit({ blockId: 'b1', scriptDir: dir, workerInit: [`sleep 300 & echo $! > ${pidfile}`], command: ['sleep', '300'] });
  await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim() !== '', 'the grandchild to start');
  const grandchild = Number(readFileSync(pidfile, 'utf8'));
  t.is((await provider.status([jobId])).get(jobId)!.state, 'running');
  t.deepEqual(provider.pids().length, 1);
  await provider.cancel(jobId);
  t.is((await provider.status([jobId])).get(jobId)!.state, 'cancelled');
  await waitFor(() => !isAlive(grandchild), 'the grandchild to be gone');
  t.deepEqual(provider.pids(), []);
  await provider.cancel(jobId); // already ended: fine
});

test('an id it never issued reads as completed; close kills every block', async (t) => {
  const { dir, provider } = setup(t);
  t.is((await provider.status(['local-999999'])).get('local-999999')!.state, 'completed');
  const a = await provider.submit({ blockId: 'b1', scriptDir: dir, workerInit: [], command: ['sleep', '300'] });
  const b = await provider.submit({ blockId: 'b2', scriptDir: dir, workerInit: [], command: ['sleep', '300'] });
  t.is(provider.pids().length, 2);
  await provider.close();
  t.deepEqual(provider.pids(), []);
  const states = await provider.status([a, b]);
  t.is(states.get(a)!.state, 'cancelled');
  t.is(states.get(b)!.state, 'cancelled');
});
