/**
 * How many new blocks MPI tasks waiting for nodes need: each task takes
 * `nodes` nodes of one block. They are placed first-fit, in order, on the
 * nodes free in live blocks (blocks still in the queue count as wholly
 * free), then on new blocks of `nodesPerBlock`; the new blocks used are the
 * answer. Pure, so the rule is tested without a scheduler.
 */
export function blocksForNodes(waiting: number[], freeInLive: number[], nodesPerBlock: number): number {
  const free = [...freeInLive];
  let added = 0;
  for (const nodes of waiting) {
    if (nodes > nodesPerBlock) continue; // never satisfiable (refused before it waits)
    const fit = free.findIndex((n) => n >= nodes);
    if (fit >= 0) free[fit] -= nodes;
    else {
      free.push(nodesPerBlock - nodes);
      added += 1;
    }
  }
  return added;
}
