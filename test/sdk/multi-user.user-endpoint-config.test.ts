/**
 * The TS SDK and CLI on a multi-user endpoint: run() and the Executor send
 * user_endpoint_config with each task (the multi-user endpoint sees it as the
 * user's demand); `funcx endpoint status` shows a user their per-user
 * endpoints and their errors, and `funcx endpoint list` shows which endpoint
 * is whose child.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { Executor } from '../../sdk/index.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { clientFor } from './support.js';
import { userConfigKey } from '../../src/ledger/userConfigKey.js';

const exec = promisify(execFile);
const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));

async function funcx(live: LiveService, token: string, args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [FUNCX_CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: live.config.home, FUNCX_HOME: live.config.home, FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: token },
  });
  return stdout;
}

test('run() and the Executor carry user_endpoint_config to the multi-user endpoint; status and list show the user their per-user endpoints', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const mep = (await live.call('POST', '/v3/endpoints', { body: { name: 'site', multi_user: true, allow_any_user: true } })).body;
  const functionId = (await live.call('POST', '/v3/functions', { body: { runtime: 'python', source: 'def f(x):\n    return x\n', entry_point: 'f', public: true } })).body.function_uuid;
  const token = await live.tokenFor('alice@example.org');
  const client = clientFor(live, { token, endpointId: mep.endpoint_id });
  await client.run(1, { functionId, userEndpointConfig: { workers: 2 } });
  const executor = new Executor({ client, userEndpointConfig: { workers: 3 } });
  t.teardown(() => executor.shutdown({ wait: false, cancelFutures: true }));
  const future = executor.submit({ functionId }, 2);
  await future.submitted;

  const demand = await live.call('POST', `/v3/endpoints/${mep.endpoint_id}/user_demand`, { token: mep.credential, body: { wait_s: 0 } });
  t.deepEqual(demand.body.users.map((u: { user_endpoint_config: unknown }) => u.user_endpoint_config).sort((a: { workers: number }, b: { workers: number }) => a.workers - b.workers), [{ workers: 2 }, { workers: 3 }]);

  // The multi-user endpoint made alice a per-user endpoint, and it failed to start.
  const child = (await live.call('POST', `/v3/endpoints/${mep.endpoint_id}/user_endpoints`, {
    token: mep.credential, body: { identity: 'alice@example.org', user_config_key: userConfigKey({ workers: 2 }) },
  })).body;
  await live.call('POST', `/v3/endpoints/${mep.endpoint_id}/user_demand/fail`, {
    token: mep.credential, body: { identity: 'alice@example.org', user_config_key: userConfigKey({ workers: 2 }), type: 'UserEndpointFailed', message: 'exited with code 1' },
  });
  const status = await funcx(live, token, ['endpoint', 'status', mep.endpoint_id]);
  t.regex(status, new RegExp(`user_endpoint ${child.endpoint_id}\\s+\\|\\s+offline for alice@example.org \\(error: UserEndpointFailed: exited with code 1\\)`));
  const own = await funcx(live, token, ['endpoint', 'status', child.endpoint_id]);
  t.regex(own, /last_error\s+\|\s+UserEndpointFailed: exited with code 1/);
  const list = await funcx(live, token, ['endpoint', 'list', '--role', 'any']);
  t.regex(list, new RegExp(`${child.endpoint_id}.*${mep.endpoint_id}`));
  t.regex(list, new RegExp(`${mep.endpoint_id}.*\\(multi-user\\)`));
});
