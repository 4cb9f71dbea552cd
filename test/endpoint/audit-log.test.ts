/**
 * audit_log_path: one line per task event, in Globus Compute's shape, from a
 * real endpoint process running real workers; and a log that cannot be
 * written (a full tmpfs) pauses the endpoint without losing or running
 * unaudited tasks, until space returns.
 */
import type { ExecutionContext } from 'ava';
import { requireRealPart } from '../helpers/realPart.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { registerPerDatabase } from '../helpers/databases.js';
import { serviceTest, startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const LINE = /^(\S+) uid=(\d+) pid=(\d+) uep=([0-9a-f-]{36}) fid=([0-9a-f-]{36}) tid=([0-9a-f-]{36}) bid=(\S+) (RECEIVED|EXEC_START|EXEC_END|FAILED)$/;

interface AuditLine { time: string; uid: number; pid: number; uep: string; fid: string; tid: string; bid: string; state: string }

function readAudit(file: string): AuditLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((text) => {
    const match = LINE.exec(text);
    if (!match) throw new Error(`not an audit line: ${text}`);
    const [, time, uid, pid, uep, fid, tid, bid, state] = match;
    return { time, uid: Number(uid), pid: Number(pid), uep, fid, tid, bid, state };
  });
}

const statesOf = (lines: AuditLine[], taskId: string) => lines.filter((line) => line.tid === taskId).map((line) => line.state);

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'funcx-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

serviceTest('audit log: a run, a failure, a function the endpoint refuses and a cancelled task each leave their lines', async (t, live) => {
  const dir = tempDir(t);
  const log = path.join(dir, 'audit.log');
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1, runtimes: ['python'], audit_log_path: log } });
  const runs = await registerPython(live, 'def double(x):\n    return 2 * x\n', 'double');
  const fails = await registerPython(live, 'def boom(x):\n    raise ValueError("audited failure")\n', 'boom');
  const sleeps = await registerPython(live, 'def nap(s):\n    import time\n    time.sleep(s)\n    return s\n', 'nap');
  // A JavaScript function on an endpoint that offers only python: the endpoint refuses it.
  const refused = (await live.call('POST', '/v3/functions', { body: { runtime: 'javascript', source: '(x) => x' } })).body.function_uuid as string;

  const [ran] = await submit(live, endpoint.endpointId, runs, [[21]]);
  const [failed] = await submit(live, endpoint.endpointId, fails, [[1]]);
  const [notRun] = await submit(live, endpoint.endpointId, refused, [[1]]);
  const finished = await waitForTasks(live, [ran, failed, notRun]);
  t.is(finished[ran].status, 'success');
  t.is(finished[failed].status, 'failed');
  t.is(finished[notRun].exception.type, 'RuntimeNotAvailable');

  const [cancelled] = await submit(live, endpoint.endpointId, sleeps, [[120]]);
  await waitFor(() => statesOf(readAudit(log), cancelled).includes('EXEC_START'), 'the sleeping task to start', 60_000);
  t.is((await live.call('POST', `/v3/tasks/${cancelled}/cancel`)).status, 200);
  await waitFor(() => statesOf(readAudit(log), cancelled).includes('EXEC_END'), 'the cancelled task to end', 60_000);

  const lines = readAudit(log);
  t.deepEqual(statesOf(lines, ran), ['RECEIVED', 'EXEC_START', 'EXEC_END']);
  t.deepEqual(statesOf(lines, failed), ['RECEIVED', 'EXEC_START', 'EXEC_END']);
  t.deepEqual(statesOf(lines, notRun), ['RECEIVED', 'FAILED']);
  t.deepEqual(statesOf(lines, cancelled), ['RECEIVED', 'EXEC_START', 'EXEC_END']);
  for (const line of lines) {
    t.like(line, { uid: process.getuid!(), pid: endpoint.child.pid, uep: endpoint.endpointId, bid: '-' });
    t.false(Number.isNaN(Date.parse(line.time)), line.time);
  }
  t.is(lines.find((line) => line.tid === ran)!.fid, runs);
  t.is(statSync(log).mode & 0o777, 0o600);
});

const FULL_DISK = 'audit log on a full disk: the endpoint pauses, hands its task back and reports itself failed; it resumes when space returns';
if (requireRealPart(FULL_DISK, process.getuid?.() === 0 ? undefined : 'mounting a small tmpfs needs root')) registerPerDatabase(FULL_DISK, async (t, kind) => {
  // The service's request log, to count the paused agent's heartbeats (an unchanged heartbeat
  // writes no new status report any more: docs/deployment.md, idle endpoints).
  const heartbeats = { count: 0 };
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      heartbeats.count += chunk.toString('utf8').split('\n').filter((line) => line.includes('"msg":"request"') && /"path":"\/v3\/endpoints\/[^"]+\/heartbeat"/.test(line)).length;
      done();
    },
  });
  const live = await startLiveService(t, kind, {}, { logDestination: destination });
  const disk = mountSmallTmpfs(t);
  const log = path.join(disk, 'audit.log');
  const marker = path.join(tempDir(t), 'ran');
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1, audit_log_path: log } });
  const fn = await registerPython(live, 'def touch(p):\n    open(p, "a").close()\n    return "ran"\n', 'touch');

  // Fill the disk: the next line the log needs cannot be stored.
  const filler = path.join(disk, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
  } catch (error) {
    t.is((error as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[marker]]);
  await waitFor(() => endpoint.output().includes('audit log unwritable'), 'the endpoint to find its audit log unwritable', 60_000);
  await waitFor(async () => (await statusDetails(live, endpoint.endpointId))?.failure !== undefined, 'a status report saying so', 60_000);
  t.regex((await statusDetails(live, endpoint.endpointId))!.failure as string, /^audit log unwritable: ENOSPC/);
  // The task went back to the service unrun, and the endpoint leases nothing more meanwhile.
  await waitFor(async () => (await live.call('GET', `/v2/tasks/${taskId}`)).body.status === 'waiting-for-ep', 'the task to be handed back', 60_000);
  // Paused: two more heartbeats later, the task was leased once only and still waits.
  const heartbeatsSoFar = heartbeats.count;
  await waitFor(() => heartbeats.count >= heartbeatsSoFar + 2, 'two more heartbeats', 60_000);
  const leases = endpoint.output().split('\n').filter((line) => line.includes('"msg":"task leased"') && line.includes(taskId));
  t.is(leases.length, 1, 'nothing is leased while the audit log cannot be written');
  t.is((await live.call('GET', `/v2/tasks/${taskId}`)).body.status, 'waiting-for-ep');
  t.false(existsSync(marker));

  rmSync(filler);
  const done = await waitForTasks(live, [taskId]);
  t.is(done[taskId].status, 'success');
  t.true(existsSync(marker));
  t.regex(endpoint.output(), /audit log writable again/);
  // Nothing lost: the refused attempt's RECEIVED (kept while the disk was full), then the run.
  t.deepEqual(statesOf(readAudit(log), taskId), ['RECEIVED', 'RECEIVED', 'EXEC_START', 'EXEC_END']);
  await waitFor(async () => (await statusDetails(live, endpoint.endpointId))?.failure === undefined, 'a status report without the failure', 60_000);
});

async function statusDetails(live: LiveService, endpointId: string): Promise<Record<string, unknown> | undefined> {
  const status = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  return status.body.logs?.[0]?.details as Record<string, unknown> | undefined;
}

/** A 64 KiB tmpfs, unmounted after the test (registered first, so it is undone last). */
function mountSmallTmpfs(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'funcx-audit-disk-'));
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}
