/**
 * The launcher prefix of an MPI task, as Globus Compute's MPI engine exposes
 * it: the command the endpoint builds from the task's resource_specification
 * and the nodes it was given, which the task puts before its program
 * (`$PARSL_MPI_PREFIX python3 sim.py`). One template per launcher:
 *
 *   srun                 srun --nodes=N --ntasks=R --ntasks-per-node=P --nodelist=h1,h2 OPTIONS TASK_OPTIONS
 *   mpiexec (openmpi)    mpiexec -n R --host h1:P,h2:P OPTIONS TASK_OPTIONS
 *   mpirun  (openmpi)    mpirun -n R --host h1:P,h2:P OPTIONS TASK_OPTIONS
 *   mpiexec (mpich)      mpiexec -n R -ppn P -hosts h1,h2 OPTIONS TASK_OPTIONS
 *   mpirun  (mpich)      mpirun -n R -ppn P -hosts h1,h2 OPTIONS TASK_OPTIONS
 *
 * OPTIONS are the endpoint's (config `mpi.options`), TASK_OPTIONS the task's
 * `launcher_options`, both as written (the task's are shell text, like the
 * rest of an mpi function's template). Open MPI's `--host h:P` declares P
 * slots on h, so P ranks per node run without --oversubscribe.
 */
import { shellQuote } from '../providers/jobScript.js';
import type { ResolvedResources } from '@funcx-ts/shared/resourceSpecification.js';

export type MpiLauncher = 'srun' | 'mpiexec' | 'mpirun';
export type MpiFlavor = 'openmpi' | 'mpich';

export interface MpiSettings {
  launcher: MpiLauncher;
  /** Which syntax mpiexec / mpirun take (Debian's are Open MPI's). */
  flavor: MpiFlavor;
  /** Arguments every launch gets (e.g. --mpi=pmix for srun). */
  options: string[];
}

export function mpiPrefix(settings: MpiSettings, resources: ResolvedResources, nodes: string[]): string {
  const { numNodes, numRanks, ranksPerNode } = resources;
  let words: string[];
  if (settings.launcher === 'srun') {
    words = ['srun', `--nodes=${numNodes}`, `--ntasks=${numRanks}`, `--ntasks-per-node=${ranksPerNode}`, `--nodelist=${nodes.join(',')}`];
  } else if (settings.flavor === 'openmpi') {
    words = [settings.launcher, '-n', String(numRanks), '--host', nodes.map((node) => `${node}:${ranksPerNode}`).join(',')];
  } else {
    words = [settings.launcher, '-n', String(numRanks), '-ppn', String(ranksPerNode), '-hosts', nodes.join(',')];
  }
  const fixed = [...words, ...settings.options].map(shellQuote).join(' ');
  return resources.launcherOptions ? `${fixed} ${resources.launcherOptions}` : fixed;
}

/** What an MPI task's process sees (shell, mpi, python alike): the prefix and the numbers it was built from. */
export function mpiEnvironment(settings: MpiSettings, resources: ResolvedResources, nodes: string[]): Record<string, string> {
  return {
    PARSL_MPI_PREFIX: mpiPrefix(settings, resources, nodes),
    PARSL_NUM_NODES: String(resources.numNodes),
    PARSL_NUM_RANKS: String(resources.numRanks),
    PARSL_RANKS_PER_NODE: String(resources.ranksPerNode),
    PARSL_MPI_NODELIST: nodes.join(','),
  };
}
