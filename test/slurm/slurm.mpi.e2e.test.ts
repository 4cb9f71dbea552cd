/**
 * MPI tasks on Slurm blocks, with real Open MPI, mpi4py and srun (PMIx) in a
 * one-node cluster this file starts: the block is one exclusive job running
 * one manager; each task's $PARSL_MPI_PREFIX is an srun step over the job's
 * node, and every rank reports its rank and the world's size.
 *
 * SQLite only, serial (one cluster). Skips loudly without Slurm or MPI.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { waitForTasks } from '../helpers/tasks.js';
import { slurmMissing, startSlurmCluster, type SlurmCluster } from '../helpers/slurm.js';
import { OPENMPI_AS_ROOT, expectedRanks, mpiMissing, mpiPython, rankReport, ranksOf, registerMpi, submitWithResources } from '../mpi/support.js';
import { requireRealPart } from '../helpers/realPart.js';

const missing = slurmMissing() ?? mpiMissing();
let cluster: SlurmCluster | undefined;

if (requireRealPart('MPI on Slurm', missing, { requiredBy: 'FUNCX_TEST_REQUIRE_SLURM' })) {
  test.before(async () => {
    cluster = await startSlurmCluster();
  });
  test.after.always(async () => {
    await cluster?.stop();
  });

  test.serial('mpi on Slurm: a 2-rank and a 4-rank srun job report every rank and the size, one after the other on the block\'s one node', async (t) => {
    const python = mpiPython()!;
    const live = await startLiveService(t, 'sqlite', { leaseTimeout: '60s' });
    const endpoint = await startEndpointProcess(t, live, {
      name: 'hpc',
      env: { ...cluster!.env, ...OPENMPI_AS_ROOT },
      config: {
        runtimes: ['mpi'],
        python,
        mpi: { launcher: 'srun', options: ['--mpi=pmix'] },
        provider: {
          type: 'slurm',
          partition: 'debug',
          walltime: '10m',
          nodes_per_block: 1,
          max_workers_per_node: 2,
          max_blocks: 1,
          strategy_period: '300ms',
          listen_address: '127.0.0.1',
          manager_heartbeat_period: '300ms',
        },
      },
    });
    // mkdir fails if the other task holds the node: the two (two slots, one node) never overlap.
    const lock = path.join(live.database.dir, 'node-held');
    const fn = await registerMpi(live, `mkdir {0} && echo "prefix: $PARSL_MPI_PREFIX" && $PARSL_MPI_PREFIX ${rankReport(python)} && rmdir {0}`);
    const two = await submitWithResources(live, endpoint.endpointId, fn, [lock], { num_ranks: 2 });
    // More ranks than the node's CPUs: the task's own launcher option lets srun overcommit.
    const four = await submitWithResources(live, endpoint.endpointId, fn, [lock], { num_nodes: 1, ranks_per_node: 4, launcher_options: '--overcommit' });
    const done = await waitForTasks(live, [two, four], 180_000);
    for (const [id, ranks] of [[two, 2], [four, 4]] as const) {
      t.is(done[id].status, 'success', JSON.stringify(done[id]));
      const result = JSON.parse(done[id].result);
      t.is(result.returncode, 0, result.stderr);
      t.deepEqual(ranksOf(result.stdout), expectedRanks(ranks), `${result.stdout}\n${result.stderr}`);
      t.regex(result.stdout, new RegExp(`^prefix: srun --nodes=1 --ntasks=${ranks} --ntasks-per-node=${ranks} --nodelist=\\S+ --mpi=pmix`, 'm'));
    }
    const blocks = path.join(endpoint.paths.dir, 'blocks');
    const script = readFileSync(path.join(blocks, readdirSync(blocks).find((f) => f.endsWith('.sbatch'))!), 'utf8');
    t.regex(script, /#SBATCH --exclusive/);
    t.notRegex(script, /exec srun/, 'one manager per block: the tasks\' own srun steps reach the nodes');
    endpoint.signal('SIGTERM');
    t.is(await endpoint.exited, 0);
  });
}
