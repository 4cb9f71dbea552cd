/**
 * A task's resource_specification (schemas/resource-specification.json) with
 * its missing numbers derived, or the reason it contradicts itself. Shared by
 * the service (which refuses a contradictory one at submit) and the endpoint
 * (which builds the launcher prefix from the resolved numbers). The schema has
 * already checked the types; this checks the numbers against each other.
 */

export interface ResourceSpecification {
  num_nodes?: number;
  ranks_per_node?: number;
  num_ranks?: number;
  launcher_options?: string;
}

export interface ResolvedResources {
  numNodes: number;
  ranksPerNode: number;
  numRanks: number;
  launcherOptions: string;
}

export type Resolution = { ok: true; resources: ResolvedResources } | { ok: false; problem: string };

export function resolveResourceSpecification(spec: ResourceSpecification): Resolution {
  const numNodes = spec.num_nodes ?? 1;
  const launcherOptions = spec.launcher_options ?? '';
  if (/[\r\n]/.test(launcherOptions)) return { ok: false, problem: 'launcher_options must be one line' };
  let ranksPerNode = spec.ranks_per_node;
  let numRanks = spec.num_ranks;
  if (ranksPerNode === undefined && numRanks === undefined) ranksPerNode = 1;
  if (numRanks === undefined) numRanks = numNodes * ranksPerNode!;
  if (ranksPerNode === undefined) ranksPerNode = Math.ceil(numRanks / numNodes);
  if (numRanks > numNodes * ranksPerNode) {
    return { ok: false, problem: `num_ranks ${numRanks} is more than num_nodes ${numNodes} × ranks_per_node ${ranksPerNode}` };
  }
  // A node without a rank would be held for nothing (and a launcher refuses such a layout).
  if (numRanks < numNodes) return { ok: false, problem: `num_ranks ${numRanks} leaves some of the ${numNodes} nodes without a rank` };
  return { ok: true, resources: { numNodes, ranksPerNode, numRanks, launcherOptions } };
}
