/**
 * MPI tasks with real Open MPI and mpi4py, on the local provider: mpi
 * functions run their command with $PARSL_MPI_PREFIX (mpiexec built from the
 * task's resource_specification), Python functions read the same prefix, two
 * tasks that cannot share the block's one node run one after the other (the
 * second reported waiting-for-nodes meanwhile), and a task needing more nodes
 * than a block has fails at once.
 *
 * SQLite only (the ledger side is covered on both databases by the API
 * suite). Skips loudly without mpiexec or a python3 with mpi4py.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, waitForTasks } from '../helpers/tasks.js';
import { OPENMPI_AS_ROOT, expectedRanks, mpiMissing, mpiPython, rankReport, ranksOf, registerMpi, submitWithResources } from './support.js';
import { requireRealPart } from '../helpers/realPart.js';

const missing = mpiMissing();

const blocksConfig = (python: string) => ({
  runtimes: ['python', 'shell', 'mpi'],
  python,
  mpi: { launcher: 'mpiexec' },
  provider: {
    type: 'local',
    max_blocks: 1,
    nodes_per_block: 1,
    max_workers_per_node: 2,
    strategy_period: '200ms',
    manager_heartbeat_period: '300ms',
  },
  heartbeat_period: '20s',
});

async function statusOf(live: LiveService, taskId: string): Promise<string> {
  return (await live.call('GET', `/v2/tasks/${taskId}`)).body.status;
}

if (requireRealPart('MPI on the local provider', missing)) {
  const python = mpiPython()!;

  test('mpi on local blocks: a 2-rank and a 4-rank job each report every rank and the size; they cannot share the node, so the second waits for nodes and runs after', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await startEndpointProcess(t, live, { config: blocksConfig(python), env: OPENMPI_AS_ROOT });
    const lock = path.join(live.database.dir, 'node-held');
    const go = path.join(live.database.dir, 'go');
    // mkdir fails if the other task holds the node: proof that the two never overlap.
    const fn = await registerMpi(live, `mkdir {lock} && echo "prefix: $PARSL_MPI_PREFIX" && $PARSL_MPI_PREFIX ${rankReport(python)}; while [ ! -e {go} ]; do sleep 0.05; done; rmdir {lock}`);
    const run = (ranks: number) => live.call('POST', `/v3/endpoints/${endpoint.endpointId}/submit`, {
      body: { tasks: { [fn]: [JSON.stringify({ args: [], kwargs: { lock, go } })] }, resource_specification: { num_ranks: ranks } },
    });
    const first = (await run(2)).body.tasks[fn][0];
    await waitFor(async () => (await statusOf(live, first)) === 'running' && existsSync(lock), 'the 2-rank task to hold the node');
    const second = (await run(4)).body.tasks[fn][0];
    await waitFor(async () => (await statusOf(live, second)) === 'waiting-for-nodes', 'the 4-rank task to wait for nodes', 60_000);
    t.is(await statusOf(live, first), 'running');
    writeFileSync(go, '');
    const done = await waitForTasks(live, [first, second]);
    for (const [id, ranks] of [[first, 2], [second, 4]] as const) {
      t.is(done[id].status, 'success', JSON.stringify(done[id]));
      const result = JSON.parse(done[id].result);
      t.is(result.returncode, 0, result.stderr);
      t.deepEqual(ranksOf(result.stdout), expectedRanks(ranks), result.stdout);
      t.regex(result.stdout, new RegExp(`^prefix: mpiexec -n ${ranks} --host localhost:${ranks}$`, 'm'));
    }
    t.false(existsSync(lock));
  });

  test('mpi on local blocks: a Python function reads PARSL_MPI_PREFIX and launches 4 ranks with it; only its own call sees the variables', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await startEndpointProcess(t, live, { config: blocksConfig(python), env: OPENMPI_AS_ROOT });
    const source = `def launch(program):
    import os, subprocess
    prefix = os.environ["PARSL_MPI_PREFIX"]
    out = subprocess.run(prefix + " " + program, shell=True, capture_output=True, text=True)
    return {"prefix": prefix, "ranks": os.environ["PARSL_NUM_RANKS"], "stdout": out.stdout, "stderr": out.stderr}
`;
    const fn = await registerPython(live, source, 'launch');
    const id = await submitWithResources(live, endpoint.endpointId, fn, [rankReport(python)], { num_nodes: 1, ranks_per_node: 4 });
    const done = await waitForTasks(live, [id]);
    t.is(done[id].status, 'success', JSON.stringify(done[id]));
    const result = JSON.parse(done[id].result);
    t.is(result.ranks, '4');
    t.regex(result.prefix, /^mpiexec -n 4 --host localhost:4$/);
    t.deepEqual(ranksOf(result.stdout), expectedRanks(4), result.stderr);

    // The same worker, next call, no specification: the variables are gone again.
    const plain = await registerPython(live, 'def env():\n    import os\n    return os.environ.get("PARSL_MPI_PREFIX")\n', 'env');
    const response = await live.call('POST', `/v3/endpoints/${endpoint.endpointId}/submit`, { body: { tasks: { [plain]: [JSON.stringify({ args: [], kwargs: {} })] } } });
    const [plainId] = response.body.tasks[plain];
    const after = await waitForTasks(live, [plainId]);
    t.is(JSON.parse(after[plainId].result), null);
  });

  test('mpi: a task needing more nodes than a block has fails at once with ResourceSpecificationUnsatisfiable; without blocks, MPI runs on this machine as one node', async (t) => {
    const live = await startLiveService(t, 'sqlite');
    const endpoint = await startEndpointProcess(t, live, { config: blocksConfig(python), env: OPENMPI_AS_ROOT });
    const fn = await registerMpi(live, `$PARSL_MPI_PREFIX ${rankReport(python)}`);
    const id = await submitWithResources(live, endpoint.endpointId, fn, [], { num_nodes: 2, ranks_per_node: 1 });
    const done = await waitForTasks(live, [id]);
    t.like(done[id], { status: 'failed', attempts: 1 });
    t.deepEqual(done[id].exception, {
      type: 'ResourceSpecificationUnsatisfiable',
      message: 'the task needs 2 nodes; this endpoint has blocks of 1 node (nodes_per_block), so it can never run here',
    });
    // Failed by the agent itself: no block was ever asked for.
    t.notRegex(endpoint.output(), /"msg":"block submitted"/);

    const plain = await startEndpointProcess(t, live, {
      name: 'no-blocks',
      config: { runtimes: ['mpi'], python, mpi: { launcher: 'mpirun' } },
      env: OPENMPI_AS_ROOT,
    });
    const ok = await submitWithResources(live, plain.endpointId, fn, [], { num_ranks: 2 });
    const tooBig = await submitWithResources(live, plain.endpointId, fn, [], { num_nodes: 3, num_ranks: 3 });
    const results = await waitForTasks(live, [ok, tooBig]);
    t.is(results[ok].status, 'success', JSON.stringify(results[ok]));
    t.deepEqual(ranksOf(JSON.parse(results[ok].result).stdout), expectedRanks(2));
    t.like(results[tooBig], { status: 'failed', exception: { type: 'ResourceSpecificationUnsatisfiable', message: 'the task needs 3 nodes; this endpoint has one node (the local provider without blocks), so it can never run here' } });
  });
}
