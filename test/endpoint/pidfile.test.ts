/**
 * `funcx-endpoint start` takes its pidfile atomically: of several starts racing, exactly one
 * holds it and the others are told who does; a pidfile left by a dead process is taken over.
 * The racers are real processes released together (they spin on a start file).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { PidfileHeld, endpointState, processStartTime, readPid, takePidfile } from '../../endpoint/pidfile.js';
import { runEndpointCli } from '../helpers/endpointProcess.js';
import { endpointPaths } from '../../endpoint/paths.js';

const PIDFILE_MODULE = fileURLToPath(new URL('../../endpoint/pidfile.js', import.meta.url));

function tempPaths(t: { teardown(fn: () => void): void }) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-pidfile-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const paths = endpointPaths('ep', home);
  mkdirSync(paths.dir, { recursive: true });
  return paths;
}

test('of eight starts racing for one pidfile exactly one takes it; the others are told its pid', async (t) => {
  const paths = tempPaths(t);
  const go = path.join(paths.dir, 'go');
  // Each racer: wait for the start file, try to take the pidfile, say how it went, then hold it
  // until stdin closes (so a winner stays alive while the others look at it).
  const script = `
    import { existsSync } from 'node:fs';
    const { takePidfile, PidfileHeld } = await import(${JSON.stringify(PIDFILE_MODULE)});
    const paths = ${JSON.stringify(paths)};
    process.stdout.write('ready\\n');
    while (!existsSync(${JSON.stringify(go)})) {}
    try { takePidfile(paths); process.stdout.write('took\\n'); }
    catch (error) { process.stdout.write(error instanceof PidfileHeld ? 'held ' + error.pid + '\\n' : 'error ' + error.message + '\\n'); }
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
  `;
  const racers = Array.from({ length: 8 }, () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const lines: ((line: string) => void)[] = [];
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const done = out.split('\n').slice(0, -1);
      while (lines.length > 0 && done.length > 0) lines.shift()!(done.shift()!);
      out = out.slice(out.lastIndexOf('\n') + 1);
    });
    const next = () => new Promise<string>((resolve) => lines.push(resolve));
    const exited = new Promise((resolve) => child.once('close', resolve));
    t.teardown(async () => {
      child.stdin!.end();
      child.kill();
      await exited;
    });
    return { child, next };
  });
  const readies = racers.map((r) => r.next());
  await Promise.all(readies);
  const outcomes = racers.map((r) => r.next());
  writeFileSync(go, '');
  const said = await Promise.all(outcomes);
  const winners = racers.filter((_, i) => said[i] === 'took');
  t.is(winners.length, 1, said.join(', '));
  const winner = winners[0].child.pid!;
  t.is(readPid(paths), winner);
  for (const line of said.filter((s) => s !== 'took')) t.is(line, `held ${winner}`);
  // No temporary or moved-aside files are left behind.
  t.deepEqual(readdirSync(paths.dir).sort(), ['endpoint.pid', 'go']);
});

test('a pidfile naming a dead process is taken over; one naming a live process is not', (t) => {
  const paths = tempPaths(t);
  // A pid that is surely not running: beyond the kernel's pid_max.
  writeFileSync(paths.pidfile, '4194305\n');
  takePidfile(paths, process.pid);
  t.is(readPid(paths), process.pid);
  // The first word is the pid (the contract); then this process's start time (field 22 of /proc/PID/stat).
  t.is(readFileSync(paths.pidfile, 'utf8'), `${process.pid} ${processStartTime(process.pid)}\n`);
  t.regex(readFileSync(paths.pidfile, 'utf8'), /^\d+ \d+\n$/);

  const error = t.throws(() => takePidfile(paths, 12345), { instanceOf: PidfileHeld });
  t.is(error!.pid, process.pid);
  t.is(readPid(paths), process.pid);
});

/** A live process that is not an endpoint agent (a stranger that reused a pid), ended at teardown. */
function stranger(t: { teardown(fn: () => Promise<void>): void }) {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}

test('stop signals nobody when the pidfile\'s pid now belongs to another process (its start time differs)', async (t) => {
  const paths = tempPaths(t);
  const other = stranger(t);
  const startTime = processStartTime(other.pid!);
  t.truthy(startTime, 'a start time from /proc');
  // The agent that wrote this pidfile started earlier than the process now holding its pid.
  writeFileSync(paths.pidfile, `${other.pid} ${Number(startTime) - 1}\n`);
  t.is(endpointState(paths), 'Disconnected');
  const stopped = await runEndpointCli(path.dirname(paths.dir), ['stop', 'ep']);
  t.is(stopped.code, 0, stopped.stderr);
  t.regex(stopped.stdout, /is not running/);
  t.is(other.exitCode, null);
  t.is(other.signalCode, null, 'the other process was not signalled');
  t.throws(() => readFileSync(paths.pidfile), { code: 'ENOENT' }, 'the stale pidfile is removed');
  // And a start takes the stale pidfile over.
  takePidfile(paths, process.pid);
  t.is(readPid(paths), process.pid);
});

test('an old pidfile holding only a pid: a live process that is no funcx-endpoint is not signalled', async (t) => {
  const paths = tempPaths(t);
  const other = stranger(t);
  writeFileSync(paths.pidfile, `${other.pid}\n`);
  t.is(readPid(paths), other.pid);
  t.is(endpointState(paths), 'Disconnected');
  const stopped = await runEndpointCli(path.dirname(paths.dir), ['stop', 'ep']);
  t.is(stopped.code, 0, stopped.stderr);
  t.regex(stopped.stdout, /is not running/);
  t.is(other.signalCode, null, 'the other process was not signalled');
});

test('an old pidfile holding only the pid of a live funcx-endpoint process still counts as running', (t) => {
  const paths = tempPaths(t);
  // A process whose command line names funcx-endpoint, as an agent of an older version would.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)', 'funcx-endpoint', 'start', 'ep'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  writeFileSync(paths.pidfile, `${child.pid}\n`);
  t.is(endpointState(paths), 'Running');
  const error = t.throws(() => takePidfile(paths, process.pid), { instanceOf: PidfileHeld });
  t.is(error!.pid, child.pid!);
});
