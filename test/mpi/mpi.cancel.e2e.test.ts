/**
 * Cancelling a running MPI task on a local block: the cancel travels from the
 * agent to the block's worker manager, which ends the task's process group:
 * mpiexec and every rank under it are gone, and the next MPI task runs on the
 * same block. Heartbeats are a minute apart: only the cancel watch brings the
 * cancel within the waits below. SQLite only; skips loudly without Open MPI.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { requireRealPart } from '../helpers/realPart.js';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { waitForTasks } from '../helpers/tasks.js';
import { processGone } from '../helpers/processes.js';
import { OPENMPI_AS_ROOT, expectedRanks, mpiMissing, mpiPython, rankReport, ranksOf, registerMpi } from './support.js';

const missing = mpiMissing();

if (requireRealPart('MPI cancel suite', missing)) {
  const python = mpiPython()!;

  test('a running 2-rank MPI task cancelled on a local block: mpiexec and both ranks are gone; the next MPI task runs', async (t) => {
    const live = await startLiveService(t, 'sqlite', { leaseTimeout: '600s' });
    const endpoint = await startEndpointProcess(t, live, {
      config: {
        runtimes: ['python', 'shell', 'mpi'], python, mpi: { launcher: 'mpiexec' },
        provider: { type: 'local', max_blocks: 1, nodes_per_block: 1, max_workers_per_node: 2, strategy_period: '200ms', manager_heartbeat_period: '300ms' },
        heartbeat_period: '60s',
      },
      env: OPENMPI_AS_ROOT,
    });
    const pids = path.join(live.database.dir, 'rank-pids');
    // Each rank leaves a file named by its pid, then waits to be cancelled.
    const ranksWait = `mkdir -p {dir} && $PARSL_MPI_PREFIX ${python} -c "import os, time; open(os.path.join('{dir}', str(os.getpid())), 'w').close(); time.sleep(1000)"`;
    const blocking = await registerMpi(live, ranksWait);
    const submitted = await live.call('POST', `/v3/endpoints/${endpoint.endpointId}/submit`, {
      body: { tasks: { [blocking]: [JSON.stringify({ args: [], kwargs: { dir: pids } })] }, resource_specification: { num_ranks: 2 } },
    });
    const taskId = submitted.body.tasks[blocking][0] as string;
    const rankPids = () => { try { return readdirSync(pids).map(Number); } catch { return []; } };
    await waitFor(() => rankPids().length === 2, 'both ranks to start', 120_000);
    const ranks = rankPids();
    const cancel = await live.call('POST', `/v3/tasks/${taskId}/cancel`);
    t.is(cancel.status, 200);
    await waitFor(() => ranks.every(processGone), 'both ranks to be gone after the cancel');
    await waitFor(() => endpoint.output().includes('"why":"cancelled"'), 'the agent to log the task dropped as cancelled');

    const report = await registerMpi(live, `$PARSL_MPI_PREFIX ${rankReport(python)}`);
    const next = await live.call('POST', `/v3/endpoints/${endpoint.endpointId}/submit`, {
      body: { tasks: { [report]: [JSON.stringify({ args: [], kwargs: {} })] }, resource_specification: { num_ranks: 2 } },
    });
    const nextId = next.body.tasks[report][0] as string;
    const done = await waitForTasks(live, [nextId]);
    t.is(done[nextId].status, 'success', JSON.stringify(done[nextId]));
    t.deepEqual(ranksOf(JSON.parse(done[nextId].result).stdout), expectedRanks(2));
    t.like((await live.call('GET', `/v3/tasks/${taskId}`)).body, { status: 'cancelled', attempts: 1 });
  });
}
