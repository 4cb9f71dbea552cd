/** The shell runtime: command templates run by /bin/sh in a fresh folder per task. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { TaskOutcome, TaskToRun } from '../../endpoint/execution.js';
import type { ShellResult } from '../../endpoint/workers/shell.js';
import { isGone, never, startExecutor, task, waitFor } from './helpers.js';
import { ShellFunction } from '../../sdk/index.js';
import { packageRoot } from '../../src/util/paths.js';

function shTask(template: string, kwargs: Record<string, unknown> = {}, extra: Partial<TaskToRun> = {}): TaskToRun {
  return task({ runtime: 'shell', source: template, payload: JSON.stringify({ args: [], kwargs }), ...extra });
}

function shellResult(t: { fail(message: string): void }, outcome: TaskOutcome): ShellResult {
  if (outcome.status !== 'success') {
    t.fail(JSON.stringify(outcome));
    throw new Error('not a success');
  }
  return JSON.parse(outcome.result) as ShellResult;
}

test('the template is formatted with kwargs (and positional args) like str.format, and run by sh', async (t) => {
  const { executor } = await startExecutor(t);
  const outcome = await executor.run(shTask('echo Hello {name}', { name: 'World' }), never);
  t.like(outcome, { status: 'success', resultSerializer: 'json' });
  t.deepEqual(shellResult(t, outcome), { cmd: 'echo Hello World', stdout: 'Hello World\n', stderr: '', returncode: 0 });
  const positional = await executor.run(shTask('echo {0}-{1} {{literal}}', {}, { payload: JSON.stringify({ args: ['a', 2], kwargs: {} }) }), never);
  t.is(shellResult(t, positional).stdout, 'a-2 {literal}\n');
  t.is(shellResult(t, positional).cmd, 'echo a-2 {literal}');
});

test('a non-zero return code is still a success, with stderr; a missing key fails with KeyError', async (t) => {
  const { executor } = await startExecutor(t);
  const result = shellResult(t, await executor.run(shTask('echo oops >&2; exit {code}', { code: 3 }), never));
  t.deepEqual([result.returncode, result.stderr, result.stdout], [3, 'oops\n', '']);
  const missing = await executor.run(shTask('echo {name}'), never);
  t.like(missing, { status: 'failed', exception: { type: 'KeyError' } });
  if (missing.status === 'failed') t.regex(missing.exception.message, /'name'/);
  t.like(await executor.run(shTask('echo {0}'), never), { status: 'failed', exception: { type: 'IndexError' } });
  t.like(await executor.run(shTask('echo hi', {}, { serializer: 'pickle' }), never), { status: 'failed', exception: { type: 'SerializerNotAllowed' } });
});

test('each stream keeps its last shellOutputCap bytes, with a note when cut', async (t) => {
  const { executor } = await startExecutor(t, { shellOutputCap: 100 });
  const result = shellResult(t, await executor.run(shTask('seq 1 1000; seq 1 10 >&2'), never));
  const full = Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('');
  const [note, ...rest] = result.stdout.split('\n');
  t.is(note, `[funcX: output cut: the first ${full.length - 100} bytes were dropped, the last 100 follow]`);
  t.is(rest.join('\n'), full.slice(-100));
  t.is(result.stderr, '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n');
});

test('every task runs in its own fresh folder under workDir, removed afterwards', async (t) => {
  const { executor, workDir } = await startExecutor(t);
  const [a, b] = await Promise.all([
    executor.run(shTask('pwd; touch left-behind; ls'), never),
    executor.run(shTask('pwd; ls'), never),
  ]);
  const [dirA, listingA] = shellResult(t, a).stdout.split('\n');
  const [dirB, listingB] = shellResult(t, b).stdout.split('\n');
  t.not(dirA, dirB);
  t.is(path.dirname(dirA), workDir);
  t.is(listingA, 'left-behind');
  t.is(listingB, '');
  t.false(existsSync(dirA));
  t.false(existsSync(dirB));
  t.deepEqual(readdirSync(workDir), []);
});

test('the command sees GC_TASK_UUID and GC_TASK_SANDBOX_DIR (its own folder), as upstream\'s ShellFunction with run_in_sandbox', async (t) => {
  const { executor, workDir } = await startExecutor(t);
  const run = shTask('echo "$GC_TASK_UUID"; echo "$GC_TASK_SANDBOX_DIR"; pwd');
  const [taskId, sandbox, cwd] = shellResult(t, await executor.run(run, never)).stdout.split('\n');
  t.is(taskId, run.taskId);
  t.is(sandbox, cwd);
  t.is(path.dirname(sandbox), workDir);
  t.false(existsSync(sandbox));
});

test('keep_shell_sandboxes keeps each task\'s GC_TASK_SANDBOX_DIR with what the command wrote there', async (t) => {
  const { executor, workDir } = await startExecutor(t, { keepShellSandboxes: true });
  const sandbox = shellResult(t, await executor.run(shTask('echo kept > note.txt; echo "$GC_TASK_SANDBOX_DIR"'), never)).stdout.trim();
  t.is(path.dirname(sandbox), workDir);
  t.is(readFileSync(path.join(sandbox, 'note.txt'), 'utf8'), 'kept\n');
});

test('a walltime kills the whole command: return code 124, and nothing it started survives', async (t) => {
  const { executor } = await startExecutor(t);
  const outcome = await executor.run(shTask('echo started; sleep 5; echo never', {}, { walltimeMs: 200 }), never);
  const result = shellResult(t, outcome);
  t.is(result.returncode, 124);
  t.is(result.stdout, 'started\n');
  t.regex(result.stderr, /walltime of 200 ms exceeded/);
  // Background jobs die with the command even when it exits normally.
  const bg = shellResult(t, await executor.run(shTask('sleep 60 >/dev/null 2>&1 & echo $!'), never));
  const pid = Number(bg.stdout.trim());
  await waitFor(() => isGone(pid), 'the background sleep to die');
  t.pass();
});

test('aborting a shell task kills it (TaskCancelled); stop() kills running commands (retry)', async (t) => {
  const { executor } = await startExecutor(t);
  const controller = new AbortController();
  const cancelled = executor.run(shTask('sleep 60'), controller.signal);
  await waitFor(() => executor.pids().length === 1, 'the command to start');
  const [pid] = executor.pids();
  controller.abort();
  t.like(await cancelled, { status: 'failed', exception: { type: 'TaskCancelled' } });
  await waitFor(() => isGone(pid), 'the cancelled command to die');
  const running = executor.run(shTask('sleep 60'), never);
  await waitFor(() => executor.pids().length === 1, 'the command to start');
  const [second] = executor.pids();
  await executor.stop();
  t.like(await running, { status: 'failed', retry: true, exception: { type: 'ExecutorStopped' } });
  t.true(isGone(second));
  t.deepEqual(executor.pids(), []);
});

test('snippetLines (TypeScript) and snippet_lines (Python): the last lines of each stream, with the command\'s return code, walltime too', async (t) => {
  const { executor } = await startExecutor(t);
  const command = 'seq 1 50; seq 101 120 >&2; exit 3';
  const pythonSource = execFileSync('python3', ['-c', `from funcx_ts.shell import ShellFunction; print(ShellFunction(${JSON.stringify(command)}, snippet_lines=5).source, end="")`], {
    env: { ...process.env, PYTHONPATH: path.join(packageRoot(), 'sdk', 'python') }, encoding: 'utf8',
  });
  for (const source of [new ShellFunction(command, { snippetLines: 5 }).source, pythonSource]) {
    const result = shellResult(t, await executor.run(shTask(source), never));
    t.deepEqual([result.stdout, result.stderr, result.returncode], ['46\n47\n48\n49\n50\n', '116\n117\n118\n119\n120\n', 3]);
  }
  const timed = new ShellFunction('seq 1 10; sleep 30', { snippetLines: 2, walltime: 1 });
  const result = shellResult(t, await executor.run(shTask(timed.source), never));
  t.deepEqual([result.stdout, result.returncode], ['9\n10\n', 124]);
  t.throws(() => new ShellFunction('true', { snippetLines: 0 }), { message: /snippetLines must be a positive whole number/ });
});
