/** The pure parts of MPI placement: resolving a specification, the launcher templates, the node pool, and blocks wanted for waiting MPI tasks. */
import test from 'ava';
import { resolveResourceSpecification } from '../../src/resources/resourceSpecification.js';
import { mpiPrefix, type MpiSettings } from '../../endpoint/mpi/launcher.js';
import { NodePool } from '../../endpoint/mpi/nodePool.js';
import { blocksForNodes } from '../../endpoint/blocks/nodeDemand.js';
import { Aborted } from '../../endpoint/workers/semaphore.js';

const resolved = (spec: Parameters<typeof resolveResourceSpecification>[0]) => {
  const r = resolveResourceSpecification(spec);
  if (!r.ok) throw new Error(r.problem);
  return r.resources;
};

test('resource specification: missing numbers are derived; contradictions named', (t) => {
  t.deepEqual(resolved({}), { numNodes: 1, ranksPerNode: 1, numRanks: 1, launcherOptions: '' });
  t.deepEqual(resolved({ num_nodes: 2, ranks_per_node: 3 }), { numNodes: 2, ranksPerNode: 3, numRanks: 6, launcherOptions: '' });
  t.deepEqual(resolved({ num_nodes: 3, num_ranks: 4 }), { numNodes: 3, ranksPerNode: 2, numRanks: 4, launcherOptions: '' });
  t.deepEqual(resolved({ num_ranks: 4, launcher_options: '--bind-to core' }), { numNodes: 1, ranksPerNode: 4, numRanks: 4, launcherOptions: '--bind-to core' });
  t.deepEqual(resolveResourceSpecification({ num_nodes: 1, ranks_per_node: 2, num_ranks: 3 }), { ok: false, problem: 'num_ranks 3 is more than num_nodes 1 × ranks_per_node 2' });
  t.deepEqual(resolveResourceSpecification({ num_nodes: 3, num_ranks: 2 }), { ok: false, problem: 'num_ranks 2 leaves some of the 3 nodes without a rank' });
  t.deepEqual(resolveResourceSpecification({ launcher_options: 'a\nb' }), { ok: false, problem: 'launcher_options must be one line' });
});

test('launcher prefix: one template per launcher and flavor, endpoint options then the task\'s', (t) => {
  const spec = resolved({ num_nodes: 2, ranks_per_node: 2, num_ranks: 3, launcher_options: '--cpu-bind=cores' });
  const nodes = ['n1', 'n2'];
  const with_ = (settings: Partial<MpiSettings>) => mpiPrefix({ launcher: 'mpiexec', flavor: 'openmpi', options: [], ...settings }, spec, nodes);
  t.is(with_({ launcher: 'srun', options: ['--mpi=pmix'] }), 'srun --nodes=2 --ntasks=3 --ntasks-per-node=2 --nodelist=n1,n2 --mpi=pmix --cpu-bind=cores');
  t.is(with_({}), 'mpiexec -n 3 --host n1:2,n2:2 --cpu-bind=cores');
  t.is(with_({ launcher: 'mpirun', options: ['--bind-to', 'none'] }), 'mpirun -n 3 --host n1:2,n2:2 --bind-to none --cpu-bind=cores');
  t.is(with_({ flavor: 'mpich' }), 'mpiexec -n 3 -ppn 2 -hosts n1,n2 --cpu-bind=cores');
  t.is(mpiPrefix({ launcher: 'mpiexec', flavor: 'openmpi', options: ['--mca btl ^openib'] }, resolved({}), ['localhost']), "mpiexec -n 1 --host localhost:1 '--mca btl ^openib'");
});

test('node pool: whole nodes, first come first served, an aborted waiter leaves no hole', async (t) => {
  const pool = new NodePool(['a', 'b', 'c']);
  t.deepEqual(pool.tryAcquire(2), ['a', 'b']);
  const big = pool.acquire(2);
  t.is(pool.tryAcquire(1), undefined, 'a one-node task does not overtake the waiting two-node task');
  const aborter = new AbortController();
  const gaveUp = pool.acquire(1, aborter.signal);
  aborter.abort();
  await t.throwsAsync(gaveUp, { instanceOf: Aborted });
  pool.release(['a']);
  t.deepEqual((await big).sort(), ['a', 'c']);
  t.is(pool.waiting, 0);
  t.throws(() => pool.acquire(4), { instanceOf: RangeError });
});

test('blocks for waiting MPI tasks: free nodes of live blocks first, then first-fit into new blocks', (t) => {
  t.is(blocksForNodes([], [0], 4), 0);
  t.is(blocksForNodes([2], [2], 4), 0);
  t.is(blocksForNodes([2, 2, 3], [1], 4), 2);
  t.is(blocksForNodes([1, 1, 1, 1, 1], [], 2), 3);
  t.is(blocksForNodes([5], [], 4), 0, 'never satisfiable: refused before it waits, asks for nothing');
});
