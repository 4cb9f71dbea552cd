/**
 * What the MPI suites share: whether real MPI (an mpiexec and a Python with
 * mpi4py) is here, the environment Open MPI needs under root, and an mpi
 * function whose every rank reports its rank and the world's size.
 */
import { spawnSync } from 'node:child_process';
import type { LiveService } from '../helpers/service.js';
import { findBinary } from '../helpers/mariadb.js';

/** A Python that imports mpi4py (the Debian one, if PATH's python3 is another). */
export function mpiPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import mpi4py'], { stdio: 'ignore', timeout: 30_000 });
    if (probe.status === 0) return python;
  }
  return undefined;
}

/** Why MPI tests cannot run here, or undefined when they can. */
export function mpiMissing(): string | undefined {
  if (!findBinary('mpiexec')) return 'mpiexec not installed (apt-get install -y openmpi-bin libopenmpi-dev)';
  if (!mpiPython()) return 'no python3 with mpi4py (apt-get install -y python3-mpi4py)';
  return undefined;
}

/** Open MPI refuses to start as root unless told twice. */
export const OPENMPI_AS_ROOT: Record<string, string> = process.getuid?.() === 0
  ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' }
  : {};

/**
 * Every rank reports (rank, size, host) to rank 0, which prints "rank R of S on HOST" for
 * each: the launcher would interleave lines printed by the ranks themselves.
 */
export function rankReport(python: string): string {
  // Flushed before exit: Python flushes a piped stdout only after its atexit handlers, and
  // mpi4py's MPI_Finalize runs among them; output written after it can miss mpiexec's forwarding.
  const program = 'from mpi4py import MPI; import socket, sys; c = MPI.COMM_WORLD; '
    + 'got = c.gather((c.Get_rank(), c.Get_size(), socket.gethostname()), root=0); '
    + "c.Get_rank() == 0 and print(chr(10).join('rank %d of %d on %s' % r for r in got)); sys.stdout.flush()";
  return `${python} -c "${program}"`;
}

export async function registerMpi(live: LiveService, template: string): Promise<string> {
  const response = await live.call('POST', '/v3/functions', { body: { runtime: 'mpi', name: 'ranks', source: template } });
  if (response.status !== 201) throw new Error(`register failed: ${JSON.stringify(response.body)}`);
  return response.body.function_uuid;
}

export async function submitWithResources(live: LiveService, endpointId: string, functionId: string, payload: unknown[], spec: Record<string, unknown>): Promise<string> {
  const response = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
    body: { tasks: { [functionId]: [JSON.stringify({ args: payload, kwargs: {} })] }, resource_specification: spec },
  });
  if (response.status !== 200) throw new Error(`submit failed: ${JSON.stringify(response.body)}`);
  return response.body.tasks[functionId][0];
}

/** The (rank, size) pairs of a shell result's stdout, sorted by rank. */
export function ranksOf(stdout: string): { rank: number; size: number }[] {
  return [...stdout.matchAll(/rank (\d+) of (\d+)/g)].map((m) => ({ rank: Number(m[1]), size: Number(m[2]) })).sort((a, b) => a.rank - b.rank);
}

export function expectedRanks(size: number): { rank: number; size: number }[] {
  return Array.from({ length: size }, (_, rank) => ({ rank, size }));
}
