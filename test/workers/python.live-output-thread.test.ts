/**
 * Live output in the python worker (python_worker.py, OutputToAgent): the thread that sends what
 * a quiet call left held is started by the call's first write, so a call that prints nothing
 * starts no thread (a thread's start and join cost more than a no-op task's whole run), and a
 * call that prints a partial line and then waits still has it sent while it runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { never, pyTask, startExecutor, waitFor } from './helpers.js';

const THREADS = 'def threads():\n    import threading\n    return sorted(t.name for t in threading.enumerate())\n';

test('a streamed call that prints nothing runs without an output thread', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const printed: string[] = [];
  const outcome = await executor.run(pyTask(THREADS, 'threads', [], { onOutput: (text) => printed.push(text) }), never);
  t.is(outcome.status, 'success');
  const names = JSON.parse((outcome as { result: string }).result) as string[];
  t.false(names.includes('funcx-output-flusher'), `threads: ${names.join(', ')}`);
  t.deepEqual(printed, []);
});

test('a streamed call that prints a partial line and then waits has it sent while it runs, by the thread its write started', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-live-output-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const flag = path.join(dir, 'go-on');
  // No newline: write() holds the text; only the flusher thread sends it while the call waits.
  const source = [
    'def waits(flag):',
    '    import os, sys, threading, time',
    '    sys.stdout.write("waiting for the flag")',
    '    names = sorted(t.name for t in threading.enumerate())',
    '    deadline = time.monotonic() + 60',
    '    while not os.path.exists(flag) and time.monotonic() < deadline:',
    '        time.sleep(0.01)',
    '    return names',
    '',
  ].join('\n');
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const printed: string[] = [];
  const running = executor.run(pyTask(source, 'waits', [flag], { onOutput: (text) => printed.push(text) }), never);
  await waitFor(() => printed.join('') === 'waiting for the flag', 'the held partial line to arrive while the call runs', 30_000);
  writeFileSync(flag, '');
  const outcome = await running;
  t.is(outcome.status, 'success');
  t.true((JSON.parse((outcome as { result: string }).result) as string[]).includes('funcx-output-flusher'));
});
