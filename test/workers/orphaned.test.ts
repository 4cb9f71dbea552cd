/**
 * A worker whose agent dies (SIGKILL, no chance to clean up) must not go on running
 * its task in parallel with the ledger's retry: it ends itself and whatever it started.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { killGroup } from '../../endpoint/workers/processGroup.js';
import { isGone, waitFor } from './helpers.js';

const WORKERS_MODULE = pathToFileURL(path.resolve('dist/endpoint/workers/index.js')).href;

/** A node process (the "agent") running one task on a real worker executor; never finishes on its own. */
function startAgent(workDir: string, task: object) {
  const script = `
    import { createWorkerExecutor } from ${JSON.stringify(WORKERS_MODULE)};
    const executor = createWorkerExecutor({ maxWorkers: 1, workDir: ${JSON.stringify(workDir)} });
    await executor.start();
    await executor.run(${JSON.stringify(task)}, new AbortController().signal);
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
}

const cases = [
  {
    runtime: 'python',
    // The worker's pid, then a grandchild's: both must die with the agent.
    source: 'def hold(out):\n    import os, subprocess, time\n    child = subprocess.Popen(["sleep", "600"])\n'
      + '    with open(out + ".tmp", "w") as f:\n        f.write("%d %d" % (os.getpid(), child.pid))\n'
      + '    os.rename(out + ".tmp", out)\n    time.sleep(600)\n',
    entryPoint: 'hold',
  },
  {
    runtime: 'javascript',
    // A synchronous loop: the worker's event loop never sees its request pipe close.
    source: '(out) => { const fs = require("node:fs"); const cp = require("node:child_process");\n'
      + 'const child = cp.spawn("sleep", ["600"], { stdio: "ignore" });\n'
      + 'fs.writeFileSync(out + ".tmp", `${process.pid} ${child.pid}`); fs.renameSync(out + ".tmp", out);\n'
      + 'const until = Date.now() + 600000; while (Date.now() < until) {} }',
    entryPoint: null,
  },
] as const;

for (const { runtime, source, entryPoint } of cases) {
  test(`a ${runtime} worker and what its task started die when the agent is SIGKILLed mid-task`, async (t) => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'funcx-orphan-test-'));
    const pidFile = path.join(workDir, 'pids');
    const agent = startAgent(workDir, {
      taskId: 'orphan-test', attempt: 1, functionId: `orphan-${runtime}`, entryPoint, runtime, source,
      payload: JSON.stringify({ args: [pidFile], kwargs: {} }), serializer: 'json', walltimeMs: 600_000,
    });
    let pids: number[] = [];
    t.teardown(() => {
      agent.kill('SIGKILL');
      for (const pid of pids) if (!isGone(pid)) killGroup(pid); // only when the test already failed
      rmSync(workDir, { recursive: true, force: true });
    });
    const agentExited = new Promise((resolve) => agent.once('exit', resolve));
    await waitFor(() => existsSync(pidFile) || agent.exitCode !== null, 'the task to write its pids', 60_000);
    t.true(existsSync(pidFile), 'the agent ran the task');
    pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    const [workerPid, grandchildPid] = pids;
    t.false(isGone(workerPid));
    agent.kill('SIGKILL');
    await agentExited;
    await waitFor(() => isGone(workerPid), `worker ${workerPid} to end`, 30_000);
    await waitFor(() => isGone(grandchildPid), `the task's subprocess ${grandchildPid} to end`, 30_000);
    t.pass();
  });
}
