/**
 * The Slurm provider against a real one-node cluster that this file starts
 * (test/helpers/slurm.ts): blocks are sbatch jobs, worker managers inside them
 * dial the agent on 127.0.0.1. One cluster, so the tests run serially; each
 * starts by cancelling whatever the previous one left. SQLite only: the ledger
 * side is covered on MariaDB by the local-blocks suite, and a second cluster
 * run would double the longest suite.
 *
 * Skips loudly when slurmctld and friends are not installed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { slurmMissing, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.js';
import { blocksOf, killBusyBlockAndSeeRetry } from '../helpers/schedulerBlocks.js';
import { requireRealPart } from '../helpers/realPart.js';

const missing = slurmMissing();
let cluster: SlurmCluster | undefined;

/** Records the Slurm job it ran in, then blocks until the marker exists. */
const IN_JOB = `def in_job(marker, record):
    import os, time
    with open(record, "a") as f:
        f.write("%s %d %s\\n" % (os.environ.get("SLURM_JOB_ID", "none"), os.getppid(), os.environ.get("FUNCX_TEST_INIT", "")))
    while marker and not os.path.exists(marker):
        time.sleep(0.05)
    return os.environ.get("SLURM_JOB_ID", "none")
`;

const leaseSettings = { leaseTimeout: '60s', reapInterval: '200ms', maxRetries: 3 };

const slurmProvider = (overrides: Record<string, unknown> = {}) => ({
  provider: {
    type: 'slurm',
    partition: 'debug',
    walltime: '10m',
    nodes_per_block: 1,
    max_workers_per_node: 1,
    init_blocks: 0,
    min_blocks: 0,
    max_blocks: 1,
    max_idletime: '2s',
    strategy_period: '300ms',
    worker_init: ['export FUNCX_TEST_INIT=loaded'],
    scheduler_options: ['#SBATCH --comment=funcx-test'],
    listen_address: '127.0.0.1',
    listen_port: 0,
    manager_heartbeat_period: '300ms',
    manager_timeout: '30s',
    ...overrides,
  },
});

function records(file: string): { jobId: string; managerPid: number; init: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [jobId, pid, init] = line.split(' ');
    return { jobId, managerPid: Number(pid), init: init ?? '' };
  });
}

async function setup(t: import('ava').ExecutionContext, config: Record<string, unknown>, options: { homeName?: string } = {}) {
  await cluster!.cancelAll();
  // Jobs of earlier tests stay listed (ended) for a while; each test looks only at its own.
  const earlier = new Set(cluster!.jobs().map((j) => j.id));
  const ownJobs = () => cluster!.jobs().filter((j) => !earlier.has(j.id));
  const live = await startLiveService(t, 'sqlite', leaseSettings);
  const home = options.homeName ? path.join(live.database.dir, options.homeName) : undefined;
  const endpoint = await startEndpointProcess(t, live, { name: 'hpc', config, env: cluster!.env, home });
  const fn = await registerPython(live, IN_JOB, 'in_job');
  const marker = path.join(live.database.dir, 'go');
  const record = path.join(live.database.dir, 'record');
  return { live, endpoint, fn, marker, record, ownJobs };
}

if (requireRealPart('Slurm provider', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_SLURM' })) {
  test.before(async () => {
    cluster = await startSlurmCluster();
  });
  test.after.always(async () => {
    await cluster?.stop();
  });

  test.serial('tasks run inside Slurm jobs: SLURM_JOB_ID and worker_init are visible to the function', async (t) => {
    const { live, endpoint, fn, record, ownJobs } = await setup(t, slurmProvider());
    const [id] = await submit(live, endpoint.endpointId, fn, [['', record]]);
    const done = await waitForTasks(live, [id]);
    t.is(done[id].status, 'success', JSON.stringify(done[id]));
    const jobId = JSON.parse(done[id].result);
    t.regex(jobId, /^\d+$/);
    t.is(records(record)[0].init, 'loaded');
    const job = cluster!.jobs().find((j) => j.id === jobId);
    t.regex(job?.name ?? '', /^funcx-hpc-b1-[0-9a-f]{6}$/);
    const blockId = job!.name.slice('funcx-hpc-'.length);
    // The status reports the block, its job and its manager.
    await waitFor(async () => (await blocksOf(live, endpoint.endpointId)).some((b) => b.job_id === jobId && b.managers.length === 1), 'the status to show the block');
    const script = readFileSync(path.join(endpoint.paths.dir, 'blocks', `${blockId}.sbatch`), 'utf8');
    t.regex(script, /#SBATCH --partition=debug/);
    t.regex(script, /#SBATCH --comment=funcx-test/);
    t.regex(script, /#SBATCH --time=00:10:00/);
    t.regex(script, /export FUNCX_TEST_INIT=loaded/);
    t.false(script.includes(live.adminToken), 'no credential in the job script');

    // Stopping the endpoint ends its blocks: no job outlives the agent.
    endpoint.signal('SIGTERM');
    t.is(await endpoint.exited, 0);
    await waitFor(() => ownJobs().every((j) => ['CANCELLED', 'COMPLETED'].includes(j.state)), 'the block to end with the endpoint', 60_000);
  });

  test.serial('a FUNCX_HOME with spaces: the block runs and writes its output file where the job script says', async (t) => {
    const { live, endpoint, fn, record } = await setup(t, slurmProvider(), { homeName: 'funcx home #2' });
    const [id] = await submit(live, endpoint.endpointId, fn, [['', record]]);
    const done = await waitForTasks(live, [id]);
    t.is(done[id].status, 'success', JSON.stringify(done[id]));
    const jobId = JSON.parse(done[id].result);
    const job = cluster!.jobs().find((j) => j.id === jobId);
    const blockId = job!.name.slice('funcx-hpc-'.length);
    const blocksDir = path.join(live.database.dir, 'funcx home #2', 'hpc', 'blocks');
    t.regex(readFileSync(path.join(blocksDir, `${blockId}.sbatch`), 'utf8'), /\n#SBATCH --output="[^"\n]*funcx home #2\/hpc\/blocks\/b1-[0-9a-f]{6}-%j\.out"\n/);
    // Slurm created the output file at the quoted path (the manager logs there).
    await waitFor(() => existsSync(path.join(blocksDir, `${blockId}-${jobId}.out`)), 'the block output file');
    endpoint.signal('SIGTERM');
    t.is(await endpoint.exited, 0);
  });

  test.serial('a block sbatch refuses (no such partition) is logged with Slurm\'s reason; the agent keeps serving', async (t) => {
    const { live, endpoint, fn, record, ownJobs } = await setup(t, slurmProvider({ partition: 'nosuchpartition' }));
    await submit(live, endpoint.endpointId, fn, [['', record]]);
    await waitFor(() => /block submission failed/.test(endpoint.output()), 'the failed sbatch to be logged', 60_000);
    const line = endpoint.output().split('\n').find((l) => l.includes('block submission failed'))!;
    t.regex(line, /sbatch .*invalid partition/i);
    t.deepEqual(ownJobs(), []);
    t.is(endpoint.child.exitCode, null);
  });

  test.serial('scale out to max_blocks under load, in when idle', async (t) => {
    const { live, endpoint, fn, marker, record, ownJobs } = await setup(t, slurmProvider({ max_blocks: 2 }));
    const ids = await submit(live, endpoint.endpointId, fn, [1, 2, 3].map(() => [marker, record]));
    // One slot per block, two blocks at most: two tasks run at once, in two jobs.
    await waitFor(() => records(record).length === 2, 'two tasks to run', 120_000);
    t.is(new Set(records(record).map((r) => r.jobId)).size, 2);
    const running = ownJobs().filter((j) => j.state === 'RUNNING');
    t.is(running.length, 2, JSON.stringify(ownJobs()));
    t.deepEqual(running.map((j) => j.name.replace(/-[0-9a-f]{6}$/, '')).sort(), ['funcx-hpc-b1', 'funcx-hpc-b2']);
    t.is(new Set(running.map((j) => j.name.slice(-6))).size, 1, 'one run: one run id in its block ids');
    writeFileSync(marker, '');
    const done = await waitForTasks(live, ids);
    for (const id of ids) t.is(done[id].status, 'success');
    // Idle past max_idletime: the agent ends its jobs.
    await waitFor(() => ownJobs().every((j) => j.state !== 'RUNNING' && j.state !== 'PENDING' && j.state !== 'COMPLETING'), 'the jobs to end', 90_000);
    await waitFor(async () => (await blocksOf(live, endpoint.endpointId)).length === 0, 'the status to show no blocks', 30_000);
    t.regex(endpoint.output(), /idle for max_idletime/);
    t.is(ownJobs().length, 2, 'no block beyond max_blocks was submitted');
    // Ended by the agent: the manager leaves on shutdown (COMPLETED) or scancel gets there first (CANCELLED).
    t.true(ownJobs().every((j) => j.state === 'CANCELLED' || j.state === 'COMPLETED'), JSON.stringify(ownJobs()));
  });

  test.serial('scancel of a busy block: its task is reported lost and retried in a new job', async (t) => {
    const busy = await setup(t, slurmProvider({ init_blocks: 1 }));
    const first = await killBusyBlockAndSeeRetry(t, busy, () => records(busy.record).map((r) => r.jobId), (jobId) => cluster!.run('scancel', [jobId]));
    t.is(cluster!.jobs().find((j) => j.id === first)?.state, 'CANCELLED');
  });

  test.serial('the walltime is respected: a block past its time limit ends, its task is retried', async (t) => {
    // Slurm limits are whole minutes: 1m is the shortest there is.
    const { live, endpoint, fn, marker, record } = await setup(t, slurmProvider({ init_blocks: 1, walltime: '1m' }));
    const [id] = await submit(live, endpoint.endpointId, fn, [[marker, record]]);
    await waitFor(() => records(record).length === 1, 'the task to start', 120_000);
    const first = records(record)[0].jobId;
    t.is(cluster!.jobs().find((j) => j.id === first)?.timeLimit, '1:00');
    await waitFor(() => records(record).length === 2, 'the task to start again after the time limit', 170_000);
    t.is(cluster!.jobs().find((j) => j.id === first)?.state, 'TIMEOUT');
    writeFileSync(marker, '');
    const done = await waitForTasks(live, [id]);
    t.is(done[id].status, 'success');
    t.is(done[id].attempts, 2);
    t.deepEqual(done[id].details.attempt_history.map((a: { reason: string }) => a.reason), ['WorkerLost']);
  });

  test.serial('a task whose block is held in the queue is waiting-for-nodes, then running once Slurm starts the job', async (t) => {
    // --hold: the job stays PENDING (JobHeldUser) until released, as a job waiting for nodes would.
    const { live, endpoint, fn, marker, record, ownJobs } = await setup(t, slurmProvider({ scheduler_options: ['#SBATCH --hold'] }));
    const [id] = await submit(live, endpoint.endpointId, fn, [[marker, record]]);
    const statusOf = async () => (await live.call('GET', `/v2/tasks/${id}`)).body.status as string;
    await waitFor(async () => (await statusOf()) === 'waiting-for-nodes', 'the task to be reported waiting-for-nodes', 60_000);
    const [job] = ownJobs();
    t.is(job?.state, 'PENDING', JSON.stringify(ownJobs()));
    t.deepEqual(records(record), [], 'nothing ran yet');
    await waitFor(async () => (await blocksOf(live, endpoint.endpointId)).some((b) => b.job_id === job.id && b.state === 'pending'), 'the status to show the block pending');

    cluster!.run('scontrol', ['release', job.id]);
    await waitFor(async () => records(record).length === 1 && (await statusOf()) === 'running', 'the task to run in the job and be reported running', 120_000);
    t.is(records(record)[0].jobId, job.id);
    writeFileSync(marker, '');
    const done = await waitForTasks(live, [id]);
    t.like(done[id], { status: 'success', attempts: 1 });
    t.is(JSON.parse(done[id].result), job.id);
  });
}
