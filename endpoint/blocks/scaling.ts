/**
 * When to add and end blocks: a pure function of what the executor sees, so
 * the rules read in one place and are tested without a scheduler.
 *
 * Out: while tasks wait for a slot beyond the capacity already coming (free
 * slots, blocks pending in the queue or started but not yet connected) and
 * there are fewer than max_blocks, submit enough blocks for them; never fewer
 * than min_blocks. In: with nothing waiting, a block idle for max_idletime
 * ends, down to min_blocks.
 */

export interface BlockView {
  blockId: string;
  /** pending: submitted, not yet connected; connected: its manager(s) say hello. */
  phase: 'pending' | 'connected';
  /** Tasks running on it now. */
  busy: number;
  /** Slots of its connected managers (0 while pending). */
  slots: number;
  /** Since when it has had no task (or since submission while pending). */
  idleSinceMs: number;
}

export interface ScalingInput {
  nowMs: number;
  waitingTasks: number;
  blocks: BlockView[];
  slotsPerBlock: number;
  minBlocks: number;
  maxBlocks: number;
  maxIdleMs: number;
}

export interface ScalingPlan {
  submit: number;
  end: string[];
}

export function planScaling(input: ScalingInput): ScalingPlan {
  const live = input.blocks.length;
  const coming = input.blocks.reduce((sum, b) => sum + (b.phase === 'pending' ? input.slotsPerBlock : Math.max(0, b.slots - b.busy)), 0);
  let submit = 0;
  if (input.waitingTasks > coming) submit = Math.ceil((input.waitingTasks - coming) / input.slotsPerBlock);
  submit = Math.max(submit, input.minBlocks - live);
  submit = Math.max(0, Math.min(submit, input.maxBlocks - live));

  const end: string[] = [];
  if (input.waitingTasks === 0 && submit === 0) {
    let keep = live;
    // Oldest idle first: the block that has waited longest is least likely to be needed.
    const idle = input.blocks
      .filter((b) => b.busy === 0 && input.nowMs - b.idleSinceMs >= input.maxIdleMs)
      .sort((a, b) => a.idleSinceMs - b.idleSinceMs);
    for (const block of idle) {
      if (keep <= input.minBlocks) break;
      end.push(block.blockId);
      keep -= 1;
    }
  }
  return { submit, end };
}
