/** The funcx-endpoint command as a user types it: configure, start --detach, list, stop, delete. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { serviceTest, startLiveService } from '../helpers/service.js';
import { runEndpointCli, startEndpointProcess } from '../helpers/endpointProcess.js';
import { isAlive, readPid } from '../../endpoint/pidfile.js';
import { endpointPaths } from '../../endpoint/paths.js';

const cli = runEndpointCli;

test('configure writes a documented config, refuses to overwrite, and list shows it Initialized', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const home = path.join(live.database.dir, 'eps');
  const made = await cli(home, ['configure', 'laptop', '--service-url', live.url, '--max-workers', '3']);
  t.is(made.code, 0, made.stderr);
  const config = readFileSync(path.join(home, 'laptop', 'config.yaml'), 'utf8');
  t.regex(config, /^max_workers: 3$/m);
  t.regex(config, new RegExp(`^service_url: ${live.url}$`, 'm'));
  t.is(statSync(path.join(home, 'laptop', 'config.yaml')).mode & 0o777, 0o600);
  t.is((await cli(home, ['configure', 'laptop'])).code, 1);
  const listed = await cli(home, ['list']);
  t.regex(listed.stdout, /-\s+Initialized\s+laptop/);
});

test('a bad config is refused with the key and the problem', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const home = path.join(live.database.dir, 'eps');
  await cli(home, ['configure', 'bad', '--service-url', live.url]);
  const file = path.join(home, 'bad', 'config.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^max_workers: \d+$/m, 'max_workers: 0') + 'colour: blue\n');
  const started = await cli(home, ['start', 'bad'], { FUNCX_TOKEN: live.adminToken });
  t.is(started.code, 1);
  t.regex(started.stderr, /max_workers: must be >= 1/);
  t.regex(started.stderr, /colour: unknown key/);
});

serviceTest('start --detach, list Running, restart, stop, list Stopped; a stale pidfile is Disconnected', async (t, live) => {
  const home = path.join(live.database.dir, 'eps');
  await cli(home, ['configure', 'bg', '--service-url', live.url, '--max-workers', '1']);
  const started = await cli(home, ['start', 'bg', '--detach'], { FUNCX_TOKEN: live.adminToken });
  const paths = endpointPaths('bg', home);
  t.teardown(() => {
    const pid = readPid(paths);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  t.is(started.code, 0, started.stderr + started.stdout);
  t.regex(started.stdout, /started in the background: id [0-9a-f-]{36}/);
  t.regex((await cli(home, ['list'])).stdout, /[0-9a-f-]{36}\s+Running\s+bg/);
  const identity = JSON.parse(readFileSync(paths.identity, 'utf8'));
  t.is(statSync(paths.identity).mode & 0o777, 0o600);
  const status = await live.call('GET', `/v2/endpoints/${identity.endpoint_id}`);
  t.is(status.status, 200);

  const firstPid = readPid(paths);
  const restarted = await cli(home, ['restart', 'bg'], { FUNCX_TOKEN: live.adminToken });
  t.is(restarted.code, 0, restarted.stderr);
  t.not(readPid(paths), firstPid);
  t.false(isAlive(firstPid!));
  t.regex((await cli(home, ['list'])).stdout, /Running\s+bg/);

  t.is((await cli(home, ['stop', 'bg'])).code, 0);
  t.regex((await cli(home, ['list'])).stdout, /Stopped\s+bg/);
  writeFileSync(paths.pidfile, '999999\n'); // no such process
  t.regex((await cli(home, ['list'])).stdout, /Disconnected\s+bg/);
});

serviceTest('delete refuses while running, --force stops it and deletes it on the service too', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { name: 'doomed' });
  const home = path.dirname(endpoint.paths.dir);
  const refused = await cli(home, ['delete', 'doomed'], { FUNCX_TOKEN: live.adminToken });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /is running/);
  const deleted = await cli(home, ['delete', 'doomed', '--force'], { FUNCX_TOKEN: live.adminToken });
  t.is(deleted.code, 0, deleted.stderr);
  t.is(await endpoint.exited, 0);
  t.is((await live.call('GET', `/v2/endpoints/${endpoint.endpointId}`)).body.code, 'EndpointNotFound');
});

serviceTest('a credential the service refuses stops the endpoint with a clear message (exit 3)', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { name: 'revoked' });
  // Deleting the endpoint on the service revokes its credential under the running agent.
  t.is((await live.call('DELETE', `/v3/endpoints/${endpoint.endpointId}`)).status, 200);
  t.is(await endpoint.exited, 3);
  t.regex(endpoint.output(), /refused the credential/);
});
