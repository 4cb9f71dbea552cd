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

test('podman: run --rm -i, named and labelled, package read-only and task folder mounted at their paths, options before the image, the stdio shim before the worker; removed with rm -f -t 0', (t) => {
  const command = containerCommand(settings('podman', ['--runtime', 'runc']), run);
  t.is(command.command, 'podman');
  t.deepEqual(command.args, [
    'run', '--rm', '-i', '--name', 'funcx-42-1-abcdef', '--label', 'io.funcx.worker=1',
    '-v', '/opt/funcx:/opt/funcx:ro', '-v', '/home/u/.funcx/ep/tasks:/home/u/.funcx/ep/tasks',
    '-w', '/home/u/.funcx/ep/tasks', '-e', 'PYTHONUNBUFFERED=1', '--runtime', 'runc',
    'localhost/science:1', '/bin/sh', '-c', STDIO_SHIM, 'funcx-worker', 'python3', '/opt/funcx/endpoint/workers/python_worker.py',
  ]);
  t.deepEqual(command.remove, { command: 'podman', args: ['rm', '-f', '-t', '0', 'funcx-42-1-abcdef'] });
});

test('docker: the same run line (docker rm -f kills at once); a shell task gets no -i and no shim', (t) => {
  const command = containerCommand(settings('docker'), { ...run, argv: ['/bin/sh', '-c', 'echo hi'], worker: false });
  t.is(command.command, 'docker');
  t.deepEqual(command.args.slice(0, 3), ['run', '--rm', '--name']);
  t.deepEqual(command.args.slice(-4), ['localhost/science:1', '/bin/sh', '-c', 'echo hi']);
  t.deepEqual(command.remove, { command: 'docker', args: ['rm', '-f', 'funcx-42-1-abcdef'] });
});

test('apptainer: exec with --bind and --pwd, its processes are the agent\'s children (nothing to remove)', (t) => {
  const command = containerCommand({ ...settings('apptainer', ['--nv']), executable: 'singularity' }, run);
  t.is(command.command, 'singularity');
  t.deepEqual(command.args, [
    'exec', '--bind', '/opt/funcx:/opt/funcx:ro', '--bind', '/home/u/.funcx/ep/tasks:/home/u/.funcx/ep/tasks',
    '--pwd', '/home/u/.funcx/ep/tasks', '--env', 'PYTHONUNBUFFERED=1', '--nv',
    'localhost/science:1', '/bin/sh', '-c', STDIO_SHIM, 'funcx-worker', 'python3', '/opt/funcx/endpoint/workers/python_worker.py',
  ]);
  t.is(command.remove, undefined);
});

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
