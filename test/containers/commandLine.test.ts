/**
 * The container command lines, one template per engine, exactly as docs/hpc.md
 * documents them, and the endpoint config's `container:` key (defaults, and
 * bad values refused by key). podman's template runs for real in
 * podman.e2e.test.ts; docker's and apptainer's are checked here only.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { EndpointConfigError, configTemplate, loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { STDIO_SHIM, containerCommand, type ContainerRun } from '../../endpoint/containers/commandLine.js';
import type { ContainerSettings } from '../../endpoint/containers/settings.js';
import { packageRoot } from '../../src/util/paths.js';

const run: ContainerRun = {
  image: 'localhost/science:1',
  argv: ['python3', '/opt/funcx/endpoint/workers/python_worker.py'],
  mounts: [{ path: '/opt/funcx', readOnly: true }, { path: '/home/u/.funcx/ep/tasks', readOnly: false }],
  cwd: '/home/u/.funcx/ep/tasks',
  env: { PYTHONUNBUFFERED: '1' },
  name: 'funcx-42-1-abcdef',
  labels: { 'io.funcx.worker': '1' },
  worker: true,
};

const settings = (type: ContainerSettings['type'], options: string[] = []): ContainerSettings => ({ type, image: run.image, options, executable: type, python: 'python3' });

/*
 * The whole command line, per engine and per kind of run, against the engines' documented
 * flags: `podman run` and `docker run` take --rm (remove on exit), -i (--interactive: keep
 * stdin open; a worker's requests arrive there, so without it a worker reads end-of-file at
 * once), --name, --label KEY=VALUE, -v SRC:DEST[:ro], -w (working directory) and -e KEY=VALUE,
 * then the image and the command; `apptainer exec` takes --bind SRC:DEST[:ro], --pwd and
 * --env KEY=VALUE and always passes stdin through. A worker runs behind the stdio shim; a shell
 * task runs its argv as it is, with no stdin.
 */
const WORKER_ARGV = ['python3', '/opt/funcx/endpoint/workers/python_worker.py'];
const SHELL_ARGV = ['/bin/sh', '-c', 'echo hi'];
const SHIMMED = ['/bin/sh', '-c', STDIO_SHIM, 'funcx-worker', ...WORKER_ARGV];
const RUN_HEAD = ['--name', 'funcx-42-1-abcdef', '--label', 'io.funcx.worker=1',
  '-v', '/opt/funcx:/opt/funcx:ro', '-v', '/home/u/.funcx/ep/tasks:/home/u/.funcx/ep/tasks',
  '-w', '/home/u/.funcx/ep/tasks', '-e', 'PYTHONUNBUFFERED=1'];
const EXEC_HEAD = ['--bind', '/opt/funcx:/opt/funcx:ro', '--bind', '/home/u/.funcx/ep/tasks:/home/u/.funcx/ep/tasks',
  '--pwd', '/home/u/.funcx/ep/tasks', '--env', 'PYTHONUNBUFFERED=1'];

const cases: { engine: ContainerSettings['type']; executable?: string; options: string[]; kind: 'worker' | 'shell task'; args: string[]; remove?: string[] }[] = [
  { engine: 'podman', options: ['--runtime', 'runc'], kind: 'worker', args: ['run', '--rm', '-i', ...RUN_HEAD, '--runtime', 'runc', 'localhost/science:1', ...SHIMMED], remove: ['rm', '-f', '-t', '0', 'funcx-42-1-abcdef'] },
  { engine: 'podman', options: [], kind: 'shell task', args: ['run', '--rm', ...RUN_HEAD, 'localhost/science:1', ...SHELL_ARGV], remove: ['rm', '-f', '-t', '0', 'funcx-42-1-abcdef'] },
  { engine: 'docker', options: ['--gpus', 'all'], kind: 'worker', args: ['run', '--rm', '-i', ...RUN_HEAD, '--gpus', 'all', 'localhost/science:1', ...SHIMMED], remove: ['rm', '-f', 'funcx-42-1-abcdef'] },
  { engine: 'docker', options: [], kind: 'shell task', args: ['run', '--rm', ...RUN_HEAD, 'localhost/science:1', ...SHELL_ARGV], remove: ['rm', '-f', 'funcx-42-1-abcdef'] },
  { engine: 'apptainer', executable: 'singularity', options: ['--nv'], kind: 'worker', args: ['exec', ...EXEC_HEAD, '--nv', 'localhost/science:1', ...SHIMMED] },
  { engine: 'apptainer', options: [], kind: 'shell task', args: ['exec', ...EXEC_HEAD, 'localhost/science:1', ...SHELL_ARGV] },
];

for (const c of cases) {
  const executable = c.executable ?? c.engine;
  test(`${c.engine}: a ${c.kind}'s whole command line${c.kind === 'worker' && c.engine !== 'apptainer' ? ' (-i: its requests arrive on stdin)' : ''}; ${c.remove ? `ended by ${c.engine} ${c.remove.slice(0, -1).join(' ')}` : 'nothing to remove (its processes are the agent\'s children)'}`, (t) => {
    const command = containerCommand({ ...settings(c.engine, c.options), executable }, c.kind === 'worker' ? run : { ...run, argv: SHELL_ARGV, worker: false });
    t.is(command.command, executable);
    t.deepEqual(command.args, c.args);
    t.deepEqual(command.remove, c.remove && { command: executable, args: c.remove });
  });
}

test('docs/hpc.md shows the shim the code uses', (t) => {
  t.true(readFileSync(path.join(packageRoot(), 'docs/hpc.md'), 'utf8').includes(STDIO_SHIM));
});

function load(t: ExecutionContext, overrides: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = endpointPaths('containers', dir);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'containers', serviceUrl: 'http://127.0.0.1:1' })), ...overrides }));
  return () => loadEndpointConfig(paths);
}

test('config: container is null by default; type and image given, the rest defaults', (t) => {
  t.is(load(t, {})().container, null);
  t.deepEqual(load(t, { container: { type: 'podman', image: 'localhost/x:1' } })().container, { type: 'podman', image: 'localhost/x:1', options: [], executable: 'podman', python: 'python3' });
});

test('config: an unknown engine, a missing image, an image that looks like an option and unknown keys are refused by key', (t) => {
  const problems = (container: unknown) => (t.throws(load(t, { container }), { instanceOf: EndpointConfigError }) as EndpointConfigError).problems.join('\n');
  t.regex(problems({ type: 'lxc', image: 'x' }), /container\.type/);
  t.regex(problems({ type: 'podman' }), /container\.image: required/);
  t.regex(problems({ type: 'podman', image: '--privileged' }), /container\.image/);
  t.regex(problems({ type: 'podman', image: 'x', runtime: 'runc' }), /container\.runtime: unknown key/);
});
