/** `funcx-endpoint restart` keeps the options it was given, and `stop` waits out a real agent's drain. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest } from '../helpers/service.js';
import { runEndpointCli, startEndpointProcess } from '../helpers/endpointProcess.js';
import { isAlive, readPid } from '../../endpoint/pidfile.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { eventually } from '../helpers/within.js';
import { registerPython, submit } from '../helpers/tasks.js';

const cli = runEndpointCli;

/** The "endpoint started" log line of one agent process. */
function startedLine(logFile: string, pid: number): Record<string, unknown> | undefined {
  const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes(`"pid":${pid},`) && l.includes('"msg":"endpoint started"'));
  return line ? JSON.parse(line) : undefined;
}

serviceTest('restart --service-url starts the new agent against that URL, not config.yaml\'s', async (t, live) => {
  const home = path.join(live.database.dir, 'eps');
  // config.yaml names a service that is not there: only --service-url reaches the live one.
  await cli(home, ['configure', 'moved', '--service-url', 'http://127.0.0.1:1', '--max-workers', '1']);
  const paths = endpointPaths('moved', home);
  t.teardown(() => {
    const pid = readPid(paths);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  const started = await cli(home, ['start', 'moved', '--detach', '--service-url', live.url], { FUNCX_TOKEN: live.adminToken });
  t.is(started.code, 0, started.stderr + started.stdout);
  const firstPid = readPid(paths)!;
  t.like(startedLine(paths.log, firstPid), { service: live.url });

  const restarted = await cli(home, ['restart', 'moved', '--service-url', live.url], { FUNCX_TOKEN: live.adminToken });
  t.is(restarted.code, 0, restarted.stderr);
  const secondPid = readPid(paths)!;
  t.not(secondPid, firstPid);
  t.like(startedLine(paths.log, secondPid), { service: live.url });
  t.is((await cli(home, ['stop', 'moved'])).code, 0);
});

// Starts, writes its marker (the test knows it runs), then works for a while: a drain that takes
// longer than a stop that did not wait for it (or gave up after a second or two) would allow.
const SLOW = `def slow(marker, seconds):
    import time
    open(marker, "w").close()
    time.sleep(seconds)
    return "drained"
`;

serviceTest('stop waits for the agent\'s whole drain: it returns once the agent exited and the running task\'s result was posted', async (t, live) => {
  // A long grace period: the 5 s task finishes within it, and stop's own limit (longestDrainMs + margin) is minutes away.
  const agent = await startEndpointProcess(t, live, { config: { grace_period: '60s', max_workers: 1 } });
  const fn = await registerPython(live, SLOW, 'slow');
  const marker = path.join(live.database.dir, 'slow-task-started');
  const [taskId] = await submit(live, agent.endpointId, fn, [[marker, 5]]);
  await eventually(120_000, 'the task to start on a worker', () => existsSync(marker));
  const pid = readPid(agent.paths)!;
  t.is(pid, agent.child.pid!, "stop signals the agent process itself");

  const stopped = await cli(path.dirname(agent.paths.dir), ['stop', agent.name]);
  t.is(stopped.code, 0, stopped.stderr + stopped.stdout);
  // At the moment stop returned: the agent is gone (a zombie not yet reaped counts as gone)...
  t.false(isAlive(pid), 'stop returned while the agent was still draining');
  // ...and it went on its own, after posting the result of the task it was running.
  const task = await live.call('GET', `/v2/tasks/${taskId}`);
  t.like(task.body, { status: 'success', result: JSON.stringify('drained') });
  t.is(await agent.exited, 0);
  t.false(existsSync(agent.paths.pidfile));
});
