/**
 * Upstream 4.0's unification: an endpoint not run by root may carry a
 * template too. Started by an ordinary account (a throwaway one, from a root
 * test), it renders the template for each (values, runtime) and starts the
 * per-user endpoints as itself, with no identity mapping; tasks of its owner
 * run as that account, in the process their values chose. Skips loudly when
 * not root (the test needs root to make the account).
 */
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { startLiveService } from '../helpers/service.js';
import { ENDPOINT_CLI, waitFor } from '../helpers/endpointProcess.js';
import { waitForTasks } from '../helpers/tasks.js';
import { ROOT_MISSING, throwawayAccount } from '../helpers/localAccounts.js';
import { testWithRealPart } from '../helpers/realPart.js';
import { configTemplate } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { readIdentity } from '../../endpoint/identity.js';

const rootTest = testWithRealPart('templated endpoint of one account (test/multi-user/templated-endpoint.same-user.e2e)', ROOT_MISSING, { register: test.serial });

const TEMPLATE = `display_name: {{ flavor[1:-1] }} for {{ _GC.mapped_identity.local.uname }}
python: {{ "/usr/bin/pypy3" if flavor == '"pypy"' else "/usr/bin/python3" }}
heartbeat_period: 500ms
poll_wait: 2s
grace_period: 2s
runtimes: [python]
provider: {type: local}
`;
const SCHEMA = { type: 'object', required: ['flavor'], properties: { flavor: { enum: ['pypy', 'cpython'] } }, additionalProperties: false };
const WHICH = `
def which():
    import os, platform
    return {'implementation': platform.python_implementation(), 'uid': os.getuid()}
`;

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) chownTree(full, uid, gid);
    else chownSync(full, uid, gid);
  }
}

rootTest('an endpoint run by an ordinary account renders its template per submission and runs the per-user endpoints as itself', async (t) => {
  const live = await startLiveService(t, 'sqlite', { leaseTimeout: '60s', endpointOfflineAfter: '5s' });
  const owner = await throwawayAccount(t);
  const home = path.join(owner.home, '.funcx');
  const paths = endpointPaths('mine', home);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'mine', serviceUrl: live.url })), heartbeat_period: '500ms', poll_wait: '2s', log_level: 'debug' }));
  writeFileSync(path.join(paths.dir, 'multi_user.yaml'), YAML.stringify({ idle_shutdown_after: '10m', template_python: '/usr/bin/python3' }));
  writeFileSync(path.join(paths.dir, 'user_config_template.yaml.j2'), TEMPLATE);
  writeFileSync(path.join(paths.dir, 'user_config_schema.json'), JSON.stringify(SCHEMA));
  chownTree(home, owner.uid, owner.gid);

  const endpoint = spawn(process.execPath, [ENDPOINT_CLI, 'start', 'mine', '--exit-with-parent'], {
    uid: owner.uid, gid: owner.gid, cwd: owner.home,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: owner.home, USER: owner.name, LOGNAME: owner.name, FUNCX_HOME: home, FUNCX_TOKEN: live.adminToken },
    stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let output = '';
  endpoint.stdout!.on('data', (chunk) => (output += chunk));
  endpoint.stderr!.on('data', (chunk) => (output += chunk));
  const closed = new Promise((resolve) => endpoint.once('close', resolve));
  t.teardown(async () => {
    try {
      process.kill(endpoint.pid!, 'SIGTERM');
    } catch {
      // gone
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-endpoint.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 30_000);
    await closed;
    clearTimeout(killer);
  });
  await waitFor(() => output.includes('"msg":"endpoint started"') || endpoint.exitCode !== null, 'the templated endpoint to start', 60_000);
  t.is(endpoint.exitCode, null, output);
  t.true(output.includes('not root: per-user endpoints run as this account'), output);
  const endpointId = readIdentity(paths)!.endpoint_id;

  const fn = (await live.call('POST', '/v3/functions', { body: { public: true, runtime: 'python', source: WHICH, entry_point: 'which' } })).body.function_uuid as string;
  const submit = async (flavor: string) => {
    const response = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
      body: { tasks: { [fn]: [JSON.stringify({ args: [], kwargs: {} })] }, user_endpoint_config: { flavor } },
    });
    t.is(response.status, 200, JSON.stringify(response.body));
    const taskId = response.body.tasks[fn][0] as string;
    return (await waitForTasks(live, [taskId], 120_000))[taskId];
  };
  const pypy = await submit('pypy');
  const cpython = await submit('cpython');
  t.is(pypy.status, 'success', JSON.stringify(pypy));
  t.is(cpython.status, 'success', JSON.stringify(cpython));
  t.deepEqual(JSON.parse(pypy.result), { implementation: 'PyPy', uid: owner.uid });
  t.deepEqual(JSON.parse(cpython.result), { implementation: 'CPython', uid: owner.uid });
  t.not(pypy.endpoint_id, cpython.endpoint_id);
  const refused = await submit('lisp');
  t.is(refused.status, 'failed');
  t.like(refused.exception, { type: 'UserEndpointConfigInvalid' });
});
