/**
 * Every way of starting the service passes SERVICE_NODE_FLAGS (src/cli/serviceNodeFlags.ts): the
 * bin's shebang (`funcx-service`, `npx funcx-service`), `npm start`, the systemd unit and the
 * Dockerfile's entrypoint (which `npm run lint` also checks); and this node accepts them (Node
 * takes no V8 flags from NODE_OPTIONS, so they cannot be set anywhere else).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SERVICE_NODE_FLAGS } from '../../src/cli/serviceNodeFlags.js';

const root = (file: string) => fileURLToPath(new URL(`../../../${file}`, import.meta.url));
const flags = SERVICE_NODE_FLAGS.join(' ');

test('the funcx-service shebang passes the service node flags (source and build)', (t) => {
  for (const file of ['src/cli/funcx-service.ts', 'dist/src/cli/funcx-service.js']) {
    t.is(readFileSync(root(file), 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${flags}`, file);
  }
});

test('npm start, the systemd unit and the Dockerfile entrypoint pass the service node flags', (t) => {
  const start = (JSON.parse(readFileSync(root('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  t.true(start.startsWith(`node ${flags} dist/src/cli/funcx-service.js serve`), start);
  const execStart = readFileSync(root('deploy/systemd/funcx-service@.service'), 'utf8').split('\n').find((line) => line.startsWith('ExecStart='));
  t.is(execStart, `ExecStart=/usr/bin/node ${flags} dist/src/cli/funcx-service.js serve`);
  const entrypoint = readFileSync(root('Dockerfile'), 'utf8').split('\n').find((line) => line.startsWith('ENTRYPOINT '));
  t.deepEqual(JSON.parse(entrypoint!.slice('ENTRYPOINT '.length)), ['node', ...SERVICE_NODE_FLAGS, 'dist/src/cli/funcx-service.js']);
});

test('this node accepts the service node flags (a flag it does not know exits 9)', (t) => {
  t.true(SERVICE_NODE_FLAGS.length > 0);
  const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  t.deepEqual((JSON.parse(run.stdout) as string[]).slice(0, SERVICE_NODE_FLAGS.length), [...SERVICE_NODE_FLAGS]);
  t.is(spawnSync(process.execPath, ['--single-threaded-gc-not-a-flag', '-e', '0']).status, 9, 'node refuses an unknown flag, so the check above can fail');
});
