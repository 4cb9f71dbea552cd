/**
 * The decisions of one strategy tick, as pure functions of what the executor
 * sees (strategy.ts applies them, in this order, to the live blocks):
 *
 * 1. a block the scheduler runs but whose manager never dialled in within
 *    manager_start_timeout is ended (wrong connect_address, a firewall, a
 *    worker_init that hangs);
 * 2. a manager silent longer than manager_timeout is lost;
 * 3. scaling: planScaling's blocks for waiting tasks (scaling.ts), or more when
 *    MPI tasks need whole nodes no live block has free (nodeDemand.ts), never
 *    past max_blocks and none while submissions are paused after failures;
 *    idle blocks to end come from planScaling.
 */
import { planScaling, type BlockView } from './scaling.js';
import { blocksForNodes } from './nodeDemand.js';

export interface StartWatch {
  id: string;
  ending: boolean;
  everConnected: boolean;
  /** When the scheduler first said it runs (undefined: not yet). */
  startedAtMs: number | undefined;
}

/** Blocks running longer than `startTimeoutMs` with no manager ever connected. */
export function blocksStartOverdue<B extends StartWatch>(blocks: Iterable<B>, nowMs: number, startTimeoutMs: number): B[] {
  const overdue: B[] = [];
  for (const block of blocks) {
    if (block.ending || block.everConnected || block.startedAtMs === undefined) continue;
    if (nowMs - block.startedAtMs > startTimeoutMs) overdue.push(block);
  }
  return overdue;
}

/** Managers heard from longer than `timeoutMs` ago. */
export function silentManagers<M extends { lastHeardMs: number }>(managers: Iterable<M>, nowMs: number, timeoutMs: number): M[] {
  return [...managers].filter((manager) => nowMs - manager.lastHeardMs > timeoutMs);
}

export interface LiveBlockView extends BlockView {
  /** Nodes not held by MPI tasks (a block still in the queue is wholly free). */
  freeNodes: number;
}

export interface ScalingDecisionInput {
  nowMs: number;
  waitingTasks: number;
  /** Whole nodes each waiting MPI task needs. */
  waitingNodeNeeds: number[];
  /** Blocks not ending. */
  live: LiveBlockView[];
  slotsPerBlock: number;
  nodesPerBlock: number;
  minBlocks: number;
  maxBlocks: number;
  maxIdleMs: number;
  /** No submission before this time (after failed submissions). */
  submitPausedUntilMs: number;
}

export interface ScalingDecision {
  submit: number;
  end: string[];
}

export function decideScaling(input: ScalingDecisionInput): ScalingDecision {
  const plan = planScaling({
    nowMs: input.nowMs,
    waitingTasks: input.waitingTasks,
    blocks: input.live.map(({ freeNodes: _freeNodes, ...view }) => view),
    slotsPerBlock: input.slotsPerBlock,
    minBlocks: input.minBlocks,
    maxBlocks: input.maxBlocks,
    maxIdleMs: input.maxIdleMs,
  });
  // MPI tasks need free nodes, not just free slots: blocks for those that fit on no live block.
  const forMpi = blocksForNodes(input.waitingNodeNeeds, input.live.map((b) => b.freeNodes), input.nodesPerBlock);
  const wanted = Math.min(Math.max(plan.submit, forMpi), Math.max(0, input.maxBlocks - input.live.length));
  return { submit: input.nowMs < input.submitPausedUntilMs ? 0 : wanted, end: plan.end };
}
