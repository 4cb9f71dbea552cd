/**
 * The Grid Engine provider against a real one-node Grid Engine cell that this
 * file starts (test/helpers/gridengine.ts): blocks are qsub jobs whose
 * worker managers dial the agent on 127.0.0.1; scale out and in; a qdel of a
 * busy block loses its task, which runs again in a new job. One cell, so the
 * tests run serially; SQLite only (the ledger side is covered elsewhere).
 *
 * Skips loudly when Grid Engine is not installed.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { gridEngineMissing, startGridEngine, type GridEngineCluster } from '../helpers/gridengine.js';
import { blocksOf, killBusyBlockAndSeeRetry } from '../helpers/schedulerBlocks.js';
import { requireRealPart } from '../helpers/realPart.js';

const missing = gridEngineMissing();
let cluster: GridEngineCluster | undefined;

/** Records the Grid Engine job it ran in, then blocks until the marker exists. */
const IN_JOB = `def in_job(marker, record):
    import os, time
    with open(record, "a") as f:
        f.write("%s %s\\n" % (os.environ.get("JOB_ID", "none"), os.environ.get("FUNCX_TEST_INIT", "")))
    while marker and not os.path.exists(marker):
        time.sleep(0.05)
    return os.environ.get("JOB_ID", "none")
`;

const geProvider = (overrides: Record<string, unknown> = {}) => ({
  provider: {
    type: 'gridengine',
    queue: 'all.q',
    walltime: '10m',
    nodes_per_block: 1,
    max_workers_per_node: 1,
    max_blocks: 1,
    max_idletime: '2s',
    strategy_period: '300ms',
    worker_init: ['export FUNCX_TEST_INIT=loaded'],
    scheduler_options: ['#$ -l h_vmem=4G'],
    listen_address: '127.0.0.1',
    manager_heartbeat_period: '300ms',
    manager_timeout: '30s',
    ...overrides,
  },
});

function records(file: string): { jobId: string; init: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [jobId, init] = line.split(' ');
    return { jobId, init: init ?? '' };
  });
}

async function setup(t: import('ava').ExecutionContext, config: Record<string, unknown>) {
  await cluster!.deleteAll();
  const live = await startLiveService(t, 'sqlite', { leaseTimeout: '60s', reapInterval: '200ms', maxRetries: 3 });
  const endpoint = await startEndpointProcess(t, live, { name: 'hpc', config, env: cluster!.env });
  const fn = await registerPython(live, IN_JOB, 'in_job');
  return { live, endpoint, fn, marker: path.join(live.database.dir, 'go'), record: path.join(live.database.dir, 'record') };
}

if (requireRealPart('Grid Engine provider', missing)) {
  test.before(async () => {
    cluster = await startGridEngine();
  });
  test.after.always(async () => {
    await cluster?.stop();
  });

  test.serial('tasks run inside Grid Engine jobs: JOB_ID and worker_init are visible; the job script has the directives; stop ends the block', async (t) => {
    const { live, endpoint, fn, record } = await setup(t, geProvider());
    const [id] = await submit(live, endpoint.endpointId, fn, [['', record]]);
    const done = await waitForTasks(live, [id]);
    t.is(done[id].status, 'success', JSON.stringify(done[id]));
    const jobId = JSON.parse(done[id].result);
    t.regex(jobId, /^\d+$/);
    t.is(records(record)[0].init, 'loaded');
    await waitFor(async () => (await blocksOf(live, endpoint.endpointId)).some((b) => b.job_id === jobId && b.state === 'running'), 'the status to show the block');
    const blocks = path.join(endpoint.paths.dir, 'blocks');
    const script = readFileSync(path.join(blocks, readdirSync(blocks).find((f) => f.endsWith('.qsub'))!), 'utf8');
    t.regex(script, /^#\$ -N funcx-hpc-b1-[0-9a-f]{6}$/m);
    t.regex(script, /^#\$ -q all\.q$/m);
    t.regex(script, /^#\$ -l h_rt=00:10:00$/m);
    t.regex(script, /^#\$ -l h_vmem=4G$/m);
    t.false(script.includes(live.adminToken), 'no credential in the job script');
    t.deepEqual(cluster!.jobs().map((j) => j.id), [jobId]);
    endpoint.signal('SIGTERM');
    t.is(await endpoint.exited, 0);
    await waitFor(() => cluster!.jobs().length === 0, 'the block to end with the endpoint', 60_000);
  });

  test.serial('scale out to max_blocks under load, in when idle', async (t) => {
    const { live, endpoint, fn, marker, record } = await setup(t, geProvider({ max_blocks: 2 }));
    const ids = await submit(live, endpoint.endpointId, fn, [1, 2, 3].map(() => [marker, record]));
    // One slot per block, two blocks at most: two tasks run at once, in two jobs.
    await waitFor(() => records(record).length === 2, 'two tasks to run', 120_000);
    t.is(new Set(records(record).map((r) => r.jobId)).size, 2);
    t.is(cluster!.jobs().length, 2, JSON.stringify(cluster!.jobs()));
    writeFileSync(marker, '');
    const done = await waitForTasks(live, ids);
    for (const id of ids) t.is(done[id].status, 'success');
    t.is(new Set(records(record).map((r) => r.jobId)).size, 2, 'no block beyond max_blocks');
    // Idle past max_idletime: the agent ends its jobs.
    await waitFor(() => cluster!.jobs().length === 0, 'the jobs to end', 90_000);
    await waitFor(async () => (await blocksOf(live, endpoint.endpointId)).length === 0, 'the status to show no blocks', 30_000);
    t.regex(endpoint.output(), /idle for max_idletime/);
  });

  test.serial('qdel of a busy block: its task is reported lost and retried in a new job', async (t) => {
    const busy = await setup(t, geProvider({ init_blocks: 1 }));
    const first = await killBusyBlockAndSeeRetry(t, busy, () => records(busy.record).map((r) => r.jobId), (jobId) => cluster!.run('qdel', [jobId]));
    t.regex(busy.endpoint.output(), new RegExp(`"jobId":"${first}"[^\\n]*worker manager lost`));
  });
}
