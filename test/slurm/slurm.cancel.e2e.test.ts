/**
 * Cancelling a task running on a Slurm block: the cancel travels from the
 * service to the agent (its cancel watch) and on to the worker manager inside
 * the sbatch job, which ends the task's worker (checked by pid); the block
 * stays, and the next task runs in the same job on a fresh worker. Heartbeats
 * are two minutes apart, so no heartbeat brings the cancel within the waits.
 * Its own one-node cluster (test/helpers/slurm.ts); skips loudly without Slurm.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { requireRealPart } from '../helpers/realPart.js';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { processGone } from '../helpers/processes.js';
import { slurmMissing, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.js';

const missing = slurmMissing();
let cluster: SlurmCluster | undefined;

/** Records "JOB_ID PID" of the worker it runs in, then blocks until the marker exists. */
const IN_JOB = `def in_job(marker, record):
    import os, time
    with open(record + ".tmp", "w") as f:
        f.write("%s %d\\n" % (os.environ.get("SLURM_JOB_ID", "none"), os.getpid()))
    os.rename(record + ".tmp", record)
    while not os.path.exists(marker):
        time.sleep(0.05)
    return [os.environ.get("SLURM_JOB_ID", "none"), os.getpid()]
`;

if (requireRealPart('Slurm cancel suite', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_SLURM' })) {
  test.before(async () => {
    cluster = await startSlurmCluster();
  });
  test.after.always(async () => {
    await cluster?.stop();
  });

  test.serial('a task running on a Slurm block cancelled: its worker is gone, the block stays, the next task runs in the same job on a fresh worker', async (t) => {
    await cluster!.cancelAll();
    const live = await startLiveService(t, 'sqlite', { leaseTimeout: '600s' });
    const endpoint = await startEndpointProcess(t, live, {
      name: 'hpc',
      env: cluster!.env,
      config: {
        heartbeat_period: '120s',
        provider: {
          type: 'slurm', partition: 'debug', walltime: '10m', nodes_per_block: 1, max_workers_per_node: 1,
          init_blocks: 0, min_blocks: 0, max_blocks: 1, max_idletime: '10m', strategy_period: '300ms',
          listen_address: '127.0.0.1', listen_port: 0, manager_heartbeat_period: '300ms', manager_timeout: '30s',
        },
      },
    });
    const fn = await registerPython(live, IN_JOB, 'in_job');
    const never = path.join(live.database.dir, 'never');
    const record = path.join(live.database.dir, 'record');
    const [taskId] = await submit(live, endpoint.endpointId, fn, [[never, record]]);
    await waitFor(() => existsSync(record), 'the task to start in a Slurm job', 180_000);
    const [jobId, pid] = readFileSync(record, 'utf8').trim().split(' ');
    const cancel = await live.call('POST', `/v3/tasks/${taskId}/cancel`);
    t.is(cancel.status, 200);
    await waitFor(() => processGone(Number(pid)), 'the cancelled task\'s worker to be gone', 40_000);

    const open = path.join(live.database.dir, 'open');
    writeFileSync(open, '');
    const [next] = await submit(live, endpoint.endpointId, fn, [[open, path.join(live.database.dir, 'record-next')]]);
    const done = await waitForTasks(live, [next]);
    t.is(done[next].status, 'success', JSON.stringify(done[next]));
    const [nextJob, nextPid] = JSON.parse(done[next].result) as [string, number];
    t.is(nextJob, jobId, 'the block stayed: the next task ran in the same job');
    t.not(nextPid, Number(pid), 'on a fresh worker');
    t.like((await live.call('GET', `/v3/tasks/${taskId}`)).body, { status: 'cancelled', attempts: 1 });
  });
}
