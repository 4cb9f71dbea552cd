/**
 * Live output end to end, with a real endpoint and real workers: a python task printing a line
 * at a time is followed while it runs (the SDK's followOutput and `funcx task logs --follow`),
 * and a shell task printing 50 MB leaves the last 1 MiB on the service while the endpoint's
 * memory stays flat.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { clientFor } from '../sdk/support.js';

const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));

// Prints a line, then (so the test decides when it ends, not a clock) waits for the release file.
const CHATTY = `
def chatty(release):
    import os, time
    for i in range(3):
        print("line", i)
    deadline = time.monotonic() + 120
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("done")
    return 7
`;

serviceTest('live output: a running python task\'s lines arrive while it runs (SDK and funcx task logs --follow), then all of it once it ends; funcx task status lists the attempt', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const release = path.join(live.database.dir, 'release');
  const functionId = await registerPython(live, CHATTY, 'chatty');
  const [taskId] = await submit(live, endpoint.endpointId, functionId, [[release]]);

  // The command a user types, following from another process at the same time.
  const cliEnv = { PATH: process.env.PATH!, HOME: live.database.dir, FUNCX_HOME: live.config.home, FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: live.adminToken };
  const cli = spawn(process.execPath, [FUNCX_CLI, 'task', 'logs', taskId, '--follow'], { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let cliOut = '';
  let cliErr = '';
  cli.stdout.on('data', (chunk) => (cliOut += chunk));
  cli.stderr.on('data', (chunk) => (cliErr += chunk));
  const cliDone = new Promise<number | null>((resolve) => cli.once('close', resolve));
  t.teardown(() => {
    writeFileSync(release, '');
    cli.kill('SIGKILL');
  });

  const fx = clientFor(live);
  let seen = '';
  let sawWhileRunning = false;
  for await (const piece of fx.followOutput(taskId, { waitS: 5 })) {
    seen += piece.text;
    if (!existsSync(release) && seen.includes('line 2\n')) {
      // Output arrived and the task has not ended: it cannot, until the release file exists.
      sawWhileRunning = (await fx.getTask(taskId)).pending;
      await waitFor(() => cliOut.includes('line 2\n'), 'funcx task logs --follow to print the lines', 60_000);
      writeFileSync(release, '');
    }
  }
  t.true(sawWhileRunning);
  t.is(seen, 'line 0\nline 1\nline 2\ndone\n');
  t.is(await cliDone, 0, cliErr);
  t.is(cliOut, 'line 0\nline 1\nline 2\ndone\n');
  const [done] = Object.values(await waitForTasks(live, [taskId]));
  t.like(done, { status: 'success', result: '7' });

  // funcx task status: the attempt and how it ended; funcx endpoint status: its state.
  const funcx = async (...args: string[]) => {
    const child = spawn(process.execPath, [FUNCX_CLI, ...args], { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    t.is(code, 0, out);
    return out;
  };
  const status = await funcx('task', 'status', taskId);
  t.regex(status, /^status\s+\|\s+success$/m);
  t.regex(status, /^1\s+\|\s+\S+Z\s+\|\s+\S+Z\s+\|\s+completed(\s+\|)?$/m);
  t.regex(await funcx('endpoint', 'status', endpoint.endpointId), /^state\s+\|\s+online$/m);
});

/** The endpoint process's peak resident memory (kB), from /proc. */
function peakRssKb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error('no VmHWM in /proc status');
  return Number(match[1]);
}

serviceTest('live output: a shell task printing 50 MB keeps the last 1 MiB on the service; four of them leave the endpoint\'s memory flat', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const fn = await live.call('POST', '/v3/functions', {
    body: { runtime: 'shell', name: 'flood', source: 'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvw | head -c 52428800; echo; echo the end' },
  });
  t.is(fn.status, 201, JSON.stringify(fn.body));
  const pid = endpoint.child.pid!;
  const atStart = peakRssKb(pid);
  const flood = async () => {
    const [taskId] = await submit(live, endpoint.endpointId, fn.body.function_uuid, [[]]);
    const [done] = Object.values(await waitForTasks(live, [taskId]));
    t.is(done.status, 'success');
    return taskId;
  };
  const taskId = await flood();
  await flood();
  const afterTwo = peakRssKb(pid);
  await flood();
  await flood();
  const afterFour = peakRssKb(pid);
  t.log(`peak RSS (kB): ${atStart} at start, ${afterTwo} after two floods of 50 MB, ${afterFour} after four`);

  const output = (await live.call('GET', `/v3/tasks/${taskId}/output`)).body;
  const total = 52428800 + '\nthe end\n'.length;
  t.like(output, { next_offset: total, complete: true });
  t.is(Buffer.byteLength(output.text), 1024 * 1024);
  t.is(output.dropped, total - 1024 * 1024);
  t.true(output.text.endsWith('\nthe end\n'));
  // Flat: once the agent's heap has grown to its working size (two floods: measured about +55 MB,
  // code and GC headroom), more output costs nothing more; output kept or leaked would add 50 MB a task.
  t.true(afterFour - afterTwo < 24 * 1024, `peak RSS grew by ${afterFour - afterTwo} kB over the third and fourth floods`);
  // And never near what was printed (200 MB): holding one task's output whole would cost 100 MB and more.
  t.true(afterFour - atStart < 96 * 1024, `peak RSS grew by ${afterFour - atStart} kB over four floods`);
});
