/**
 * The endpoint's one killGroup (endpoint/workers/processGroup.ts), on real process groups: it
 * reaches every process of the group, sends the signal asked for, and with a grace sends SIGTERM
 * first and SIGKILL after it, even to a group that ignores SIGTERM.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import test, { type ExecutionContext } from 'ava';
import { killGroup } from '../../endpoint/workers/processGroup.js';
import { isGone, waitFor } from './helpers.js';

/** A shell leading its own group, with a background child in it; resolves once both run. */
async function startGroup(t: ExecutionContext, options: { ignoreTerm: boolean }) {
  const script = `${options.ignoreTerm ? 'trap "" TERM; ' : ''}sleep 600 & echo $!; while :; do sleep 0.05; done`;
  const leader = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => leader.once('exit', (_code, signal) => resolve(signal)));
  t.teardown(() => {
    try {
      process.kill(-leader.pid!, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  });
  const firstLine = await createInterface({ input: leader.stdout! })[Symbol.asyncIterator]().next();
  return { pid: leader.pid!, childPid: Number(firstLine.value), exited };
}

/** True once no process is left in the group led by `pid` (signal 0 tests without sending). */
function groupGone(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

test('by default the whole group is killed at once: the leader and what it started', async (t) => {
  const group = await startGroup(t, { ignoreTerm: false });
  killGroup(group.pid);
  t.is(await group.exited, 'SIGKILL');
  await waitFor(() => isGone(group.childPid), 'the background child to die with its group');
  t.true(isGone(group.childPid));
});

test('a signal asked for is the one sent', async (t) => {
  const group = await startGroup(t, { ignoreTerm: false });
  killGroup(group.pid, { signal: 'SIGTERM' });
  t.is(await group.exited, 'SIGTERM');
});

test('with a grace, a group that ignores SIGTERM still ends, by SIGKILL after the grace', async (t) => {
  const group = await startGroup(t, { ignoreTerm: true });
  killGroup(group.pid, { graceMs: 200 });
  t.is(await group.exited, 'SIGKILL');
  await waitFor(() => isGone(group.childPid), 'the background child to die with its group');
  t.true(isGone(group.childPid));
});

test('no pid, or a group already gone, is not an error', async (t) => {
  const group = await startGroup(t, { ignoreTerm: false });
  killGroup(group.pid);
  await group.exited;
  await waitFor(() => groupGone(group.pid), 'the group to be gone (its last member reaped)');
  t.notThrows(() => killGroup(group.pid));
  t.notThrows(() => killGroup(undefined, { graceMs: 10 })());
});
