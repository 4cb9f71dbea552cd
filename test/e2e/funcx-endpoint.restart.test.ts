/** `funcx-endpoint restart` keeps the options it was given, and `stop` waits out the agent's whole drain. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { serviceTest } from '../helpers/service.js';
import { runEndpointCli } from '../helpers/endpointProcess.js';
import { isAlive, readPid } from '../../endpoint/pidfile.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { forcedStopAfterMs } from '../../endpoint/cli/stopTimeout.js';

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

test('stop waits for the agent\'s whole drain: grace for tasks, their abort, then up to max(5 s, grace) to post results', (t) => {
  for (const graceMs of [0, 1_000, 30_000, 600_000]) {
    const agentDrainMs = graceMs + 5_000 + Math.max(5_000, graceMs);
    t.true(forcedStopAfterMs(graceMs) > agentDrainMs, `grace ${graceMs} ms`);
  }
});
