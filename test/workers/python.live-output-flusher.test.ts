/**
 * Live output's quiet-call flusher in the python worker (endpoint/workers/python_worker.py,
 * QuietCallFlusher): one thread for the worker's life, not one started and joined per call
 * (that cost ten times a no-op task's CPU), and it still sends what a call printed without a
 * newline while the call runs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { never, pyTask, startExecutor } from './helpers.js';

// The native ids of the worker's output flusher threads, seen from inside a streaming call.
const FLUSHERS = 'def flushers():\n    import threading\n    return [t.native_id for t in threading.enumerate() if t.name == "funcx-output-flusher"]\n';

// Writes text with no newline (held until a flush), then waits for the test to have received it.
const QUIET = `
def quiet(release, text):
    import os, sys, time
    sys.stdout.write(text)
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.path.exists(release)
`;

test('streaming calls on one python worker share one output flusher thread', async (t) => {
  const { executor } = await startExecutor(t, { maxWorkers: 1 });
  const functionId = randomUUID();
  const seen: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const outcome = await executor.run(pyTask(FLUSHERS, 'flushers', [], { functionId, onOutput: () => {} }), never);
    t.is(outcome.status, 'success', JSON.stringify(outcome));
    if (outcome.status === 'success') seen.push(JSON.parse(outcome.result) as number[]);
  }
  t.is(seen[0].length, 1, `flusher threads during the first call: ${JSON.stringify(seen[0])}`);
  t.deepEqual(seen[1], seen[0]);
  t.deepEqual(seen[2], seen[0]);
});

test('what a python call prints without a newline reaches the agent while the call runs, call after call', async (t) => {
  const { executor, workDir } = await startExecutor(t, { maxWorkers: 1 });
  const functionId = randomUUID();
  for (const text of ['first, held', 'second, held']) {
    const release = path.join(workDir, `release-${randomUUID()}`);
    let received = '';
    const outcome = await executor.run(pyTask(QUIET, 'quiet', [release, text], {
      functionId,
      onOutput: (piece) => {
        received += piece;
        // Only the flusher thread can have sent it: no newline, and the call is still waiting.
        if (received === text && !existsSync(release)) writeFileSync(release, '');
      },
    }), never);
    t.like(outcome, { status: 'success', result: 'true' });
    t.is(received, text);
  }
});
