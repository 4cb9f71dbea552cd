/**
 * The PBS provider end to end through its commands: submit, status and cancel run the real
 * provider against stand-in qsub, qstat and qdel (test/helpers/pbsStandIns.ts) first on PATH,
 * which record their argv, run the submitted job script with /bin/sh, and answer in PBS's
 * documented output shapes. What this proves, and what it does not, is in docs/providers.md.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { PbsProvider } from '../../endpoint/providers/pbs.js';
import type { BlockRequest } from '../../endpoint/providers/types.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { pbsStandIns, type PbsStandIns } from '../helpers/pbsStandIns.js';

// This file's own worker process: the provider finds the stand-ins on PATH as it would the real commands.
const standIns = pbsStandIns();
process.env.PATH = `${standIns.bin}${path.delimiter}${process.env.PATH ?? ''}`;
test.after.always(() => standIns.cleanup());

const provider = new PbsProvider(
  { queue: 'workq', account: null, walltimeMs: 10 * 60_000, selectOptions: null, schedulerOptions: [], launcher: 'pbsdsh' },
  { nodesPerBlock: 1 },
  'funcx-ep',
);

/** A block whose "worker manager" is a shell line; its marker file says the job script ran it. */
function block(t: ExecutionContext, blockId: string, shell: string): BlockRequest & { marker: string } {
  const scriptDir = mkdtempSync(path.join(os.tmpdir(), 'funcx-pbs-blocks-'));
  t.teardown(() => rmSync(scriptDir, { recursive: true, force: true }));
  const marker = path.join(scriptDir, `${blockId}.ran`);
  return { blockId, scriptDir, workerInit: [`echo init > ${JSON.stringify(marker)}`], command: ['/bin/sh', '-c', `echo manager >> ${JSON.stringify(marker)}; ${shell}`], marker };
}

const callsOf = (s: PbsStandIns, command: string) => s.calls().filter((c) => c.command === command).map((c) => c.args);

test.serial('submit: qsub is given the block\'s own job script (the file the provider wrote, exactly its script), prints the id, and the job runs it', async (t) => {
  const b = block(t, 'b1-submit', 'exec sleep 300');
  const before = callsOf(standIns, 'qsub').length;
  const jobId = await provider.submit(b);
  t.regex(jobId, /^\d+\.pbs01$/);
  const file = path.join(b.scriptDir, 'b1-submit.pbs');
  t.deepEqual(callsOf(standIns, 'qsub').slice(before), [[file]]);
  t.is(readFileSync(file, 'utf8'), provider.script(b));
  await waitFor(() => existsSync(b.marker) && readFileSync(b.marker, 'utf8') === 'init\nmanager\n', 'the job script to run the worker init and the manager');
  t.teardown(() => provider.cancel(jobId).catch(() => {}));
});

test.serial('status: one qstat -f -F json -x call for every job; running, finished with exit 0 and failed jobs read from its JSON', async (t) => {
  const running = block(t, 'b2-running', 'exec sleep 300');
  const done = block(t, 'b2-done', 'exit 0');
  const failed = block(t, 'b2-failed', 'exit 3');
  const ids = [await provider.submit(running), await provider.submit(done), await provider.submit(failed)];
  t.teardown(() => provider.cancel(ids[0]).catch(() => {}));
  // Finished jobs are only listed with -x: waiting on that is what makes the call line matter.
  await waitFor(async () => {
    const statuses = await provider.status(ids);
    return statuses.get(ids[1])?.state === 'completed' && statuses.get(ids[2])?.state === 'failed';
  }, 'both short jobs to finish');
  const before = callsOf(standIns, 'qstat').length;
  const statuses = await provider.status(ids);
  t.deepEqual(callsOf(standIns, 'qstat').slice(before), [['-f', '-F', 'json', '-x', ...ids]]);
  t.deepEqual(Object.fromEntries(statuses), {
    [ids[0]]: { state: 'running', detail: 'R (Job run at Mon Dec 07 at 10:00 on (node01:ncpus=1))' },
    [ids[1]]: { state: 'completed', detail: 'F (Exit_status 0) (Job run at Mon Dec 07 at 10:00 on (node01:ncpus=1) and finished)' },
    [ids[2]]: { state: 'failed', detail: 'F (Exit_status 3) (Job run at Mon Dec 07 at 10:00 on (node01:ncpus=1) and finished)' },
  });
});

test.serial('status: an id the server no longer knows fails qstat for all; the provider asks one by one and calls only that one ended', async (t) => {
  const running = block(t, 'b3-running', 'exec sleep 300');
  const id = await provider.submit(running);
  t.teardown(() => provider.cancel(id).catch(() => {}));
  const before = callsOf(standIns, 'qstat').length;
  const statuses = await provider.status([id, '999.pbs01']);
  t.deepEqual(callsOf(standIns, 'qstat').slice(before).sort(), [['-f', '-F', 'json', '-x', id, '999.pbs01'], ['-f', '-F', 'json', '-x', id], ['-f', '-F', 'json', '-x', '999.pbs01']].sort());
  t.is(statuses.get(id)?.state, 'running');
  t.deepEqual(statuses.get('999.pbs01'), { state: 'completed', detail: 'no longer known to qstat' });
});

test.serial('cancel: qdel of the job id ends the running job; qstat -x then reports it finished by qdel (Exit_status 271: cancelled)', async (t) => {
  const b = block(t, 'b4-cancel', 'exec sleep 300');
  const jobId = await provider.submit(b);
  await waitFor(() => existsSync(b.marker) && readFileSync(b.marker, 'utf8').endsWith('manager\n'), 'the job to start');
  t.is((await provider.status([jobId])).get(jobId)?.state, 'running');
  const before = callsOf(standIns, 'qdel').length;
  await provider.cancel(jobId);
  t.deepEqual(callsOf(standIns, 'qdel').slice(before), [[jobId]]);
  const after = (await provider.status([jobId])).get(jobId);
  t.is(after?.state, 'cancelled', JSON.stringify(after));
  t.regex(after?.detail ?? '', /^F \(Exit_status 271\)/);
  // The job's processes are gone, not only its record: qdel's SIGTERM reached its process group.
  const jobs = JSON.parse(readFileSync(path.join(path.dirname(standIns.bin), 'jobs', `${jobId}.json`), 'utf8')) as { pid: number };
  await waitFor(() => {
    try {
      process.kill(jobs.pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 'the job\'s shell to end');
});
