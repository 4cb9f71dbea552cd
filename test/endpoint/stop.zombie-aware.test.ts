/**
 * `funcx-endpoint stop` and the pidfile count a zombie (a process that exited
 * but was not reaped by its parent) as gone: kill(pid, 0) still succeeds for
 * one, which made stop wait for it forever.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import test from 'ava';
import { isAlive, isZombie } from '../../endpoint/pidfile.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { runEndpointCli } from '../helpers/endpointProcess.js';
import { eventually, within } from '../helpers/within.js';

/** A zombie: `sleep 0.3` started in the background by a shell that then becomes `sleep 60`, which never reaps it. */
async function makeZombie(t: import('ava').ExecutionContext): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => { parent.kill('SIGKILL'); });
  const [line] = await once(parent.stdout!, 'data') as [Buffer];
  const pid = Number(line.toString().trim());
  await eventually(5_000, `pid ${pid} becomes a zombie`, () => isZombie(pid));
  return pid;
}

test('a zombie is not alive, though kill(pid, 0) still reaches it', async (t) => {
  const pid = await makeZombie(t);
  t.notThrows(() => process.kill(pid, 0), 'the kernel still has the zombie (the old check said alive)');
  t.false(isAlive(pid));
  t.true(isAlive(process.pid));
  t.false(isZombie(process.pid));
});

test('stop with a pidfile naming a zombie answers at once: not running, pidfile removed', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-zombie-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const paths = endpointPaths('ep', home);
  mkdirSync(paths.dir, { recursive: true });
  const pid = await makeZombie(t);
  writeFileSync(paths.pidfile, `${pid}\n`);
  // Well under the stop's own bounds (grace then forced kill, tens of seconds): the old loop never returned.
  const result = await within(10_000, 'funcx-endpoint stop', runEndpointCli(home, ['stop', 'ep']));
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /endpoint "ep" is not running/);
  t.false(existsSync(paths.pidfile));
});
