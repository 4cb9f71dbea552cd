/**
 * What the executors ask of a task before running it: the nodes it needs (a
 * resolved resource_specification) or why it cannot run here. An mpi task
 * needs a specification (the service refuses one without, but an older
 * service might not); any task may carry one, and then gets the launcher
 * prefix in its environment too (Python functions read PARSL_MPI_PREFIX).
 */
import { resolveResourceSpecification, type ResolvedResources } from '@funcx-ts/shared/resourceSpecification.js';
import { failed } from '../workers/errors.js';
import type { TaskOutcome, TaskToRun } from '../execution.js';
import type { MpiSettings } from './launcher.js';

export type Needs = { resources: ResolvedResources | undefined } | { refused: TaskOutcome };

/** `nodesAvailable`: the most nodes one task can get here; `described`: how the message names that ("blocks of 2 nodes (nodes_per_block)"). */
export function taskNeeds(task: TaskToRun, mpi: MpiSettings | null, nodesAvailable: number, described: string): Needs {
  if (!task.resourceSpecification) {
    if (task.runtime === 'mpi') return { refused: failed('ResourceSpecificationInvalid', 'an mpi task needs a resource_specification (num_nodes, ranks_per_node or num_ranks)') };
    return { resources: undefined };
  }
  if (!mpi) return { refused: failed('RuntimeNotAvailable', 'this endpoint has no mpi section in its config: it runs no task with a resource_specification') };
  const resolved = resolveResourceSpecification(task.resourceSpecification);
  if (!resolved.ok) return { refused: failed('ResourceSpecificationInvalid', `resource_specification: ${resolved.problem}`) };
  if (resolved.resources.numNodes > nodesAvailable) {
    return {
      refused: failed(
        'ResourceSpecificationUnsatisfiable',
        `the task needs ${resolved.resources.numNodes} nodes; this endpoint has ${described}, so it can never run here`,
      ),
    };
  }
  return { resources: resolved.resources };
}
