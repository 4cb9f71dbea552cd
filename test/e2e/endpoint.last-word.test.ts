/**
 * A real endpoint says why it went away: `funcx-endpoint stop` leaves it offline, "stopped
 * cleanly by" the user who stopped it; a start that fails on its configuration leaves it failed
 * with the error, on the service and in `funcx-endpoint list` (from its own files).
 */
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { serviceTest } from '../helpers/service.js';
import { runEndpointCli, startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import path from 'node:path';

serviceTest('funcx-endpoint stop: offline, stopped cleanly by whom; a bad config at the next start: failed with the error', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const home = path.dirname(endpoint.paths.dir);
  const status = async () => (await live.call('GET', `/v2/endpoints/${endpoint.endpointId}/status`)).body;
  await waitFor(async () => (await status()).state === 'online', 'the endpoint\'s first heartbeat');

  const stopped = await runEndpointCli(home, ['stop', endpoint.name]);
  t.is(stopped.code, 0, stopped.stderr);
  await endpoint.exited;
  const offline = await status();
  t.like(offline, { status: 'offline', state: 'offline' });
  t.true(offline.state_detail.startsWith(`stopped cleanly by ${os.userInfo().username} (funcx-endpoint stop, pid `), offline.state_detail);
  t.regex((await runEndpointCli(home, ['list'])).stdout, new RegExp(`Stopped\\s+${endpoint.name}\\s+offline since \\S+: stopped cleanly by ${os.userInfo().username} \\(funcx-endpoint stop`));

  writeFileSync(endpoint.paths.config, readFileSync(endpoint.paths.config, 'utf8').replace(/^max_workers: \d+$/m, 'max_workers: 0'));
  const started = await runEndpointCli(home, ['start', endpoint.name], { FUNCX_TOKEN: live.adminToken });
  t.is(started.code, 1);
  const failed = await status();
  t.like(failed, { status: 'offline', state: 'failed' });
  t.regex(failed.state_detail, /^configuration invalid: .*max_workers: must be >= 1/);
  t.regex((await runEndpointCli(home, ['list'])).stdout, /Stopped\s+\S+\s+failed since \S+: configuration invalid: .*max_workers/);
});
