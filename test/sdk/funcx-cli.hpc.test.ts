/**
 * The `funcx` command's HPC options as a real child process against a real
 * service and endpoint: `function register --runtime mpi` (FILE is the
 * command template), `run --num-ranks/--num-nodes/--ranks-per-node/
 * --launcher-options` (the task's resource specification, shown by the
 * $PARSL_MPI_PREFIX the endpoint builds), and `--container-image`. The mpi
 * command only echoes its prefix, so no MPI is needed (test/mpi runs real ranks).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { waitForTasks } from '../helpers/tasks.js';
import { clientFor } from './support.js';

const FUNCX_CLI = fileURLToPath(new URL('../../sdk/cli/funcx.js', import.meta.url));

function funcx(live: LiveService, home: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // A minimal environment: nothing of the developer's (~/.funcx) leaks in.
  const env = { PATH: process.env.PATH!, HOME: home, FUNCX_HOME: home, FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: live.adminToken };
  const child = spawn(process.execPath, [FUNCX_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

test('funcx: register an mpi function from a template file, run it with a resource specification from the options; usage errors exit 2; --container-image is recorded', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const endpoint = await startEndpointProcess(t, live, { config: { runtimes: ['mpi', 'python'], mpi: { launcher: 'mpirun' } } });
  const home = path.join(live.database.dir, 'cli-home');
  mkdirSync(home);
  const run = (args: string[]) => funcx(live, home, args);
  const template = path.join(home, 'ranks.sh');
  writeFileSync(template, 'echo "$PARSL_MPI_PREFIX {what}"\n');

  const registered = await run(['function', 'register', template, '--runtime', 'mpi']);
  t.is(registered.code, 0, registered.stderr);
  const functionId = registered.stdout.trim();
  const record = await live.call('GET', `/v3/functions/${functionId}`);
  t.like(record.body, { runtime: 'mpi', name: 'ranks.sh', source: 'echo "$PARSL_MPI_PREFIX {what}"' });

  const submitted = await run(['run', functionId, '--endpoint', endpoint.endpointId, '--kwargs', '{"what": "cli"}', '--num-ranks', '3', '--launcher-options=-x FOO']);
  t.is(submitted.code, 0, submitted.stderr);
  const perNode = await run(['run', functionId, '--endpoint', endpoint.endpointId, '--kwargs', '{"what": "per-node"}', '--num-nodes', '1', '--ranks-per-node', '2']);
  t.is(perNode.code, 0, perNode.stderr);
  const [first, second] = [submitted.stdout.trim(), perNode.stdout.trim()];
  const done = await waitForTasks(live, [first, second]);
  t.is(JSON.parse(done[first].result).stdout, 'mpirun -n 3 --host localhost:3 -x FOO cli\n');
  t.is(JSON.parse(done[second].result).stdout, 'mpirun -n 2 --host localhost:2 per-node\n');

  // Without a specification the service refuses the mpi task (exit 1, a remote failure).
  const bare = await run(['run', functionId, '--endpoint', endpoint.endpointId, '--kwargs', '{"what": "bare"}']);
  t.is(bare.code, 1);
  t.regex(bare.stderr, /needs a resource_specification/);
  // Usage errors (exit 2), caught before anything is sent.
  const zero = await run(['run', functionId, '--num-ranks', '0']);
  t.is(zero.code, 2);
  t.regex(zero.stderr, /--num-ranks must be an integer of at least 1/);
  const entry = await run(['function', 'register', template, '--runtime', 'mpi', '--entry-point', 'main']);
  t.is(entry.code, 2);
  t.regex(entry.stderr, /an mpi function has no --entry-point/);

  const probe = path.join(home, 'probe.py');
  writeFileSync(probe, 'def probe():\n    return 1\n');
  const contained = await run(['function', 'register', probe, '--container-image', 'localhost/science:1']);
  t.is(contained.code, 0, contained.stderr);
  t.is((await live.call('GET', `/v3/functions/${contained.stdout.trim()}`)).body.container_image, 'localhost/science:1');
});

test('the TS SDK: registerFunction({containerImage}) records the image; without it the record has none', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const client = clientFor(live);
  const fn = { runtime: 'python' as const, source: 'def probe():\n    return 1\n', entryPoint: 'probe' };
  t.is((await client.getFunction(await client.registerFunction(fn, { containerImage: 'localhost/science:1' }))).container_image, 'localhost/science:1');
  t.false('container_image' in (await client.getFunction(await client.registerFunction(fn))));
});
