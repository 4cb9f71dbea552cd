/**
 * The single-file endpoint (npm run release: release/funcx-endpoint-linux-x64) where an npm
 * install could not run: inside a podman container whose image holds python3 and no Node,
 * against the service on the host; from a read-only folder with TMPDIR on a noexec mount; and
 * driving a block on the one-node Slurm cluster, and on a one-node Grid Engine cell, with no node
 * on the block's PATH. The file is
 * built once for the whole file (~10 s); the scenarios share it and run serially (one cluster,
 * one file).
 */
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { packageRoot } from '../../src/util/paths.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { submit, waitForTasks } from '../helpers/tasks.js';
import { podmanMissing, testImage } from '../helpers/podman.js';
import { slurmMissing, startSlurmCluster } from '../helpers/slurm.js';
import { gridEngineMissing, startGridEngine } from '../helpers/gridengine.js';
import { testWithRealPart } from '../helpers/realPart.js';
import { findBinary } from '../helpers/mariadb.js';
import { ROOT_MISSING } from '../helpers/localAccounts.js';
import { result, run as submitAs, startSite, userEndpoints, userEndpointsOnceReported } from '../multi-user/site.js';

const execFileAsync = promisify(execFile);
const SINGLE_FILE = path.join(packageRoot(), 'release', 'funcx-endpoint-linux-x64');

/** The seed tutorial's functions (funcx-tutorial.rst), as its readers register them. */
const TUTORIAL = {
  hello_world: 'def hello_world():\n    return "Hello World!"\n',
  funcx_sum: 'def funcx_sum(items):\n    return sum(items)\n',
  funcx_echo: 'def funcx_echo(name):\n    import os\n    return os.popen("echo Hello %s" % name).read()\n',
};

let built: { ok: true } | { ok: false; why: string } | undefined;

test.before(() => {
  const result = spawnSync(process.execPath, [path.join(packageRoot(), 'dist', 'scripts', 'release.js')], { encoding: 'utf8', timeout: 600_000 });
  built = result.status === 0 && existsSync(SINGLE_FILE) ? { ok: true } : { ok: false, why: `npm run release failed (${result.status}): ${result.stderr}${result.error?.message ?? ''}` };
});

function assertBuilt(t: ExecutionContext): void {
  if (!built?.ok) t.fail(built?.why ?? 'not built');
}

async function register(live: LiveService, body: Record<string, unknown>): Promise<string> {
  const response = await live.call('POST', '/v3/functions', { body });
  if (response.status !== 201) throw new Error(`register failed: ${JSON.stringify(response.body)}`);
  return response.body.function_uuid;
}

/** Runs the tutorial's three Python functions and a shell function on the endpoint; returns their results. */
async function runTutorial(live: LiveService, endpointId: string, shellSource: string): Promise<{ hello: unknown; sum: unknown; echo: unknown; shell: { stdout: string; returncode: number; stderr: string } }> {
  const ids: Record<string, string> = {};
  for (const [name, source] of Object.entries(TUTORIAL)) ids[name] = await register(live, { runtime: 'python', source, entry_point: name });
  const shell = await register(live, { runtime: 'shell', source: shellSource });
  const [hello] = await submit(live, endpointId, ids.hello_world, [[]]);
  const [sum] = await submit(live, endpointId, ids.funcx_sum, [[[1, 2, 3, 4]]]);
  const [echo] = await submit(live, endpointId, ids.funcx_echo, [['World']]);
  const [sh] = await submit(live, endpointId, shell, [], { payloads: [JSON.stringify({ args: [], kwargs: { word: 'from-shell' } })] });
  const done = await waitForTasks(live, [hello, sum, echo, sh], 150_000); // within ava's 3-minute timeout
  const value = (id: string) => {
    if (done[id].status !== 'success') throw new Error(`task ${id} failed: ${JSON.stringify(done[id])}`);
    return JSON.parse(done[id].result);
  };
  return { hello: value(hello), sum: value(sum), echo: value(echo), shell: value(sh) };
}

/** The endpoint id `configure` + `start` registered, read from its endpoint.json. */
function endpointIdIn(home: string, name: string): string {
  return (JSON.parse(readFileSync(path.join(home, name, 'endpoint.json'), 'utf8')) as { endpoint_id: string }).endpoint_id;
}

/** Kills the agent a failed test left behind (the pidfile's first word), so nothing outlives the test. */
function killLeftoverAgent(home: string, name: string): void {
  const pidfile = path.join(home, name, 'endpoint.pid');
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, 'utf8').trim().split(/\s+/)[0]);
  try {
    if (pid > 0) process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Runs a command without blocking this process, which also serves the endpoint's service. */
async function run(file: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ status: number; out: string; stdout: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { env: options.env, cwd: options.cwd ?? '/', encoding: 'utf8', timeout: 180_000 });
    return { status: 0, out: `${stdout}${stderr}`, stdout };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { status: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`, stdout: e.stdout ?? '' };
  }
}

/** What the image lacks of the file's shared libraries (libstdc++, libdl, ...: present on any distribution, absent from the minimal test image), copied into the container. */
async function addLibraries(container: string, file: string): Promise<void> {
  const { stdout } = await execFileAsync('ldd', [file]);
  for (const match of stdout.matchAll(/=>\s*(\/\S+)\s+\(0x/g)) {
    const library = match[1];
    const present = await run('podman', ['exec', container, '/usr/bin/ls', library]);
    if (present.status === 0) continue;
    await execFileAsync('podman', ['cp', realpathSync(library), `${container}:${library}`]);
  }
}

const podmanTest = testWithRealPart('test/release single file in podman', podmanMissing(), { requiredBy: 'FUNCX_TEST_REQUIRE_PODMAN', register: test.serial });

podmanTest('single file: in a container with python3 and no node, configure, start, the tutorial\'s Python functions, a shell function and stop all work against the host\'s service', async (t) => {
  assertBuilt(t);
  const image = await testImage('single-file');
  const live = await startLiveService(t, 'sqlite');
  const container = `funcx-single-file-${process.pid}-${Date.now()}`;
  t.teardown(() => void spawnSync('podman', ['rm', '-f', '-t', '0', container]));
  await execFileAsync('podman', [
    'run', '-d', '--name', container, '--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
    '--network', 'host', '-v', `${SINGLE_FILE}:/opt/funcx/funcx-endpoint:ro`,
    '-e', 'FUNCX_HOME=/root/.funcx', '-e', `FUNCX_TOKEN=${live.adminToken}`, '-e', 'PATH=/usr/local/bin:/usr/bin:/bin',
    image, '/usr/bin/sleep', '900',
  ], { timeout: 120_000 });
  const exec = (command: string[]) => run('podman', ['exec', container, ...command]);
  const noNode = await exec(['/bin/sh', '-c', 'command -v node || ls /usr/bin/node /usr/local/bin/node']);
  t.not(noNode.status, 0, `the image must hold no node: ${noNode.out}`);
  t.is((await exec(['/usr/bin/python3', '-c', 'print(1)'])).stdout, '1\n');
  await addLibraries(container, SINGLE_FILE);

  const configure = await exec(['/opt/funcx/funcx-endpoint', 'configure', 'box', '--service-url', live.url]);
  t.is(configure.status, 0, configure.out);
  const start = await exec(['/opt/funcx/funcx-endpoint', 'start', 'box', '--detach']);
  t.is(start.status, 0, start.out);
  const identity = JSON.parse((await exec(['/usr/bin/cat', '/root/.funcx/box/endpoint.json'])).stdout) as { endpoint_id: string };

  const results = await runTutorial(live, identity.endpoint_id, 'echo "{word}"; cat /etc/funcx-test-image');
  t.is(results.hello, 'Hello World!');
  t.is(results.sum, 10);
  t.is(results.echo, 'Hello World\n');
  t.is(results.shell.returncode, 0, results.shell.stderr);
  t.is(results.shell.stdout, 'from-shell\nsingle-file\n', 'the shell function ran inside the image');

  const stop = await exec(['/opt/funcx/funcx-endpoint', 'stop', 'box']);
  t.is(stop.status, 0, stop.out);
  t.not((await exec(['/bin/sh', '-c', 'test -e /root/.funcx/box/endpoint.pid'])).status, 0, 'the pidfile is gone after stop');
});

const rootTest = testWithRealPart('test/release single file read-only', process.getuid?.() === 0 ? undefined : 'not root (the test mounts a read-only folder and a noexec tmpfs)', { register: test.serial });

rootTest('single file: run from a read-only folder with TMPDIR on a noexec tmpfs, it unpacks under FUNCX_HOME and runs Python, shell and JavaScript functions (its workers are the same file), then stops', async (t) => {
  assertBuilt(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-sea-ro-'));
  const bin = path.join(dir, 'bin');
  const tmp = path.join(dir, 'tmp');
  const home = path.join(dir, 'home');
  for (const folder of [bin, tmp, home]) mkdirSync(folder);
  copyFileSync(SINGLE_FILE, path.join(bin, 'funcx-endpoint'));
  const mounted: string[] = [];
  t.teardown(() => {
    killLeftoverAgent(home, 'ro');
    for (const point of mounted.reverse()) spawnSync('umount', ['-l', point]);
    rmSync(dir, { recursive: true, force: true });
  });
  const mount = (args: string[], point: string) => {
    const result = spawnSync('mount', [...args, point], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`mount ${args.join(' ')} ${point}: ${result.stderr}`);
    if (!mounted.includes(point)) mounted.push(point);
  };
  mount(['-t', 'tmpfs', '-o', 'noexec,nosuid,size=64m', 'tmpfs'], tmp);
  mount(['--bind', bin], bin);
  mount(['-o', 'remount,ro,bind', bin], bin);
  const file = path.join(bin, 'funcx-endpoint');
  t.throws(() => accessSync(file, constants.W_OK), undefined, 'the folder is read-only');
  t.regex(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((line) => line.split(' ')[4] === tmp) ?? '', /noexec/);

  const live = await startLiveService(t, 'sqlite');
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, FUNCX_HOME: home, FUNCX_TOKEN: live.adminToken, TMPDIR: tmp, LANG: 'C.UTF-8' };
  const configure = await run(file, ['configure', 'ro', '--service-url', live.url], { env });
  t.is(configure.status, 0, configure.out);
  const start = await run(file, ['start', 'ro', '--detach'], { env });
  t.is(start.status, 0, start.out);
  const results = await runTutorial(live, endpointIdIn(home, 'ro'), 'echo "{word}" $TMPDIR');
  t.is(results.hello, 'Hello World!');
  t.is(results.sum, 10);
  t.is(results.shell.stdout, `from-shell ${tmp}\n`);
  t.true(existsSync(path.join(home, '.single-file')), 'the data files were unpacked under FUNCX_HOME');
  // A JavaScript worker is the same file again (FILE __program js-worker).
  const js = await register(live, { runtime: 'javascript', source: '(a, b) => [a + b, process.execPath]' });
  const [jsTask] = await submit(live, endpointIdIn(home, 'ro'), js, [[2, 3]]);
  const jsDone = (await waitForTasks(live, [jsTask], 120_000))[jsTask];
  t.is(jsDone.status, 'success', JSON.stringify(jsDone));
  t.deepEqual(JSON.parse(jsDone.result), [5, file], 'the JavaScript worker runs from the single file');
  const stop = await run(file, ['stop', 'ro'], { env });
  t.is(stop.status, 0, stop.out);
  t.false(existsSync(path.join(home, 'ro', 'endpoint.pid')));
});

/** A scheduler the file's blocks run on: its cluster, its provider keys, and how its job scripts and job ids look. */
interface Scheduler {
  name: string;
  start(): Promise<{ env: Record<string, string>; stop(): Promise<void>; cancelAll(): Promise<void> }>;
  provider: Record<string, unknown>;
  jobIdVariable: string;
  scriptSuffix: string;
}

/**
 * The file as an HPC endpoint: `configure`, a block whose PATH holds python3 and no node, a task run
 * inside the scheduler's job by the block's worker manager, which must be the same file (its internal
 * program name in the job script); then `stop`.
 */
async function blockWithoutNode(t: ExecutionContext, scheduler: Scheduler): Promise<void> {
  assertBuilt(t);
  const cluster = await scheduler.start();
  t.teardown(() => cluster.stop());
  const live = await startLiveService(t, 'sqlite', { leaseTimeout: '60s', reapInterval: '200ms' });
  const dir = mkdtempSync(path.join(os.tmpdir(), `funcx-sea-${scheduler.name}-`));
  chmodSync(dir, 0o755); // a Grid Engine job runs from its own spool: the folders must be traversable
  const home = path.join(dir, 'home');
  // The block's PATH: python3 and nothing else, so a manager that needed node could not find it.
  const onlyPython = path.join(dir, 'path');
  mkdirSync(onlyPython);
  symlinkSync(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : findBinary('python3')!, path.join(onlyPython, 'python3'));
  t.teardown(async () => {
    killLeftoverAgent(home, 'hpc');
    await cluster.cancelAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { ...cluster.env, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, FUNCX_HOME: home, FUNCX_TOKEN: live.adminToken };
  t.is((await run(SINGLE_FILE, ['configure', 'hpc', '--service-url', live.url], { env })).status, 0);
  const configFile = path.join(home, 'hpc', 'config.yaml');
  writeFileSync(configFile, YAML.stringify({
    ...YAML.parse(readFileSync(configFile, 'utf8')),
    provider: {
      ...scheduler.provider, walltime: '10m', nodes_per_block: 1, max_workers_per_node: 1,
      init_blocks: 0, min_blocks: 0, max_blocks: 1, max_idletime: '2s', strategy_period: '300ms',
      worker_init: [`export PATH=${onlyPython}`], listen_address: '127.0.0.1', listen_port: 0,
      manager_heartbeat_period: '300ms', manager_timeout: '30s',
    },
  }));
  const start = await run(SINGLE_FILE, ['start', 'hpc', '--detach'], { env });
  t.is(start.status, 0, start.out);
  const probe = await register(live, { runtime: 'python', source: `def probe():\n    import os, shutil\n    return [os.environ.get("${scheduler.jobIdVariable}"), shutil.which("node"), os.environ["PATH"]]\n`, entry_point: 'probe' });
  const [id] = await submit(live, endpointIdIn(home, 'hpc'), probe, [[]]);
  // Within ava's 3-minute timeout, so a failing run still reaches its teardown.
  const task = (await waitForTasks(live, [id], 150_000))[id];
  t.is(task.status, 'success', JSON.stringify(task));
  const [jobId, node, blockPath] = JSON.parse(task.result) as [string | null, string | null, string];
  t.truthy(jobId, `the task ran inside a ${scheduler.name} job`);
  t.is(node, null, 'no node on the block\'s PATH');
  t.is(blockPath, onlyPython);
  const script = readFileSync(await firstJobScript(path.join(home, 'hpc', 'blocks'), scheduler.scriptSuffix), 'utf8');
  t.regex(script, /__program'?\s+'?worker-manager/, 'the job script starts the manager by its internal program name');
  t.true(script.includes(SINGLE_FILE), 'the job script runs the single file');
  t.false(script.includes('workerManager.js'));
  t.is((await run(SINGLE_FILE, ['stop', 'hpc'], { env })).status, 0);
}

const slurmTest = testWithRealPart('test/release single file on Slurm', slurmMissing(), { requiredBy: 'FUNCX_TEST_REQUIRE_SLURM', register: test.serial });

slurmTest('single file: a Slurm block\'s worker manager is the same file (no node on the block\'s PATH) and runs Python tasks', async (t) => {
  await blockWithoutNode(t, {
    name: 'slurm', start: startSlurmCluster, provider: { type: 'slurm', partition: 'debug' }, jobIdVariable: 'SLURM_JOB_ID', scriptSuffix: '.sbatch',
  });
});

const gridEngineTest = testWithRealPart('test/release single file on Grid Engine', gridEngineMissing(), { register: test.serial });

gridEngineTest('single file: a Grid Engine block\'s worker manager is the same file (no node on the block\'s PATH) and runs Python tasks', async (t) => {
  await blockWithoutNode(t, {
    name: 'gridengine',
    start: async () => {
      const cell = await startGridEngine();
      return { env: cell.env, stop: () => cell.stop(), cancelAll: () => cell.deleteAll() };
    },
    provider: { type: 'gridengine', queue: 'all.q' },
    jobIdVariable: 'JOB_ID',
    scriptSuffix: '.qsub',
  });
});

/** The job script of the endpoint's first block (blocks/.../BLOCK.sbatch or .qsub). */
async function firstJobScript(blocksDir: string, suffix: string): Promise<string> {
  let found: string | undefined;
  await waitFor(() => {
    const { stdout } = spawnSync('find', [blocksDir, '-name', `*${suffix}`], { encoding: 'utf8' });
    found = stdout.split('\n').find(Boolean);
    return found !== undefined;
  }, 'a job script', 30_000);
  return found!;
}

const multiUserTest = testWithRealPart('test/release single file multi-user', ROOT_MISSING, { register: test.serial });

multiUserTest('single file: a multi-user endpoint started from the file starts each user\'s endpoint as that user from the same file, whose tasks run as the user', async (t) => {
  assertBuilt(t);
  const site = await startSite(t, { idle: '1m', command: [SINGLE_FILE] });
  const alice = site.accounts.alice;
  const answer = await result(site, 'alice', await submitAs(site, 'alice', site.whoami, []));
  t.is(answer.status, 'success', JSON.stringify(answer));
  t.like(JSON.parse(answer.result), { uid: alice.uid, user: alice.name });
  const reported = await userEndpointsOnceReported(site, (list) => list.some((u) => u.local_user === alice.name), 'the multi-user endpoint to report alice\'s endpoint');
  const [userEndpoint] = reported.filter((u) => u.local_user === alice.name);
  t.truthy(userEndpoint?.pid, JSON.stringify(await userEndpoints(site)));
  // The user's endpoint is the file itself (not node, which this machine has but a login node may not).
  t.is(realpathSync(`/proc/${userEndpoint!.pid}/exe`), realpathSync(SINGLE_FILE));
  t.is(statSync(`/proc/${userEndpoint!.pid}`).uid, alice.uid, 'the user endpoint runs as its user');
  t.is(realpathSync(`/proc/${site.mep.pid}/exe`), realpathSync(SINGLE_FILE), 'the multi-user endpoint is the file');
});
