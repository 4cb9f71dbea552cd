/** The scaling rules, as a pure function. */
import test from 'ava';
import { planScaling, type BlockView, type ScalingInput } from '../../endpoint/blocks/scaling.js';

const base: ScalingInput = { nowMs: 100_000, waitingTasks: 0, blocks: [], slotsPerBlock: 2, minBlocks: 0, maxBlocks: 3, maxIdleMs: 10_000 };
const pending = (id: string): BlockView => ({ blockId: id, phase: 'pending', busy: 0, slots: 0, idleSinceMs: 99_000 });
const connected = (id: string, busy: number, idleSinceMs = 99_000): BlockView => ({ blockId: id, phase: 'connected', busy, slots: 2, idleSinceMs });

test('nothing waiting, nothing running: no change', (t) => {
  t.deepEqual(planScaling(base), { submit: 0, end: [] });
});

test('waiting tasks beyond coming capacity submit enough blocks, up to max_blocks', (t) => {
  t.deepEqual(planScaling({ ...base, waitingTasks: 3 }), { submit: 2, end: [] });
  t.deepEqual(planScaling({ ...base, waitingTasks: 50 }), { submit: 3, end: [] });
  t.deepEqual(planScaling({ ...base, waitingTasks: 50, blocks: [connected('b1', 2), connected('b2', 2), connected('b3', 2)] }), { submit: 0, end: [] });
});

test('pending blocks and free slots count as coming capacity', (t) => {
  t.deepEqual(planScaling({ ...base, waitingTasks: 2, blocks: [pending('b1')] }), { submit: 0, end: [] });
  t.deepEqual(planScaling({ ...base, waitingTasks: 3, blocks: [pending('b1')] }), { submit: 1, end: [] });
  t.deepEqual(planScaling({ ...base, waitingTasks: 1, blocks: [connected('b1', 1)] }), { submit: 0, end: [] });
});

test('min_blocks is kept', (t) => {
  t.deepEqual(planScaling({ ...base, minBlocks: 2 }), { submit: 2, end: [] });
  t.deepEqual(planScaling({ ...base, minBlocks: 1, blocks: [connected('b1', 0, 0)] }), { submit: 0, end: [] });
});

test('idle past max_idletime ends blocks, oldest first, down to min_blocks', (t) => {
  const blocks = [connected('b1', 0, 80_000), connected('b2', 0, 50_000), connected('b3', 0, 95_000), connected('b4', 1, 0)];
  t.deepEqual(planScaling({ ...base, maxBlocks: 4, blocks }), { submit: 0, end: ['b2', 'b1'] });
  t.deepEqual(planScaling({ ...base, maxBlocks: 4, minBlocks: 3, blocks }), { submit: 0, end: ['b2'] });
});

test('no scale-in while tasks wait', (t) => {
  t.deepEqual(planScaling({ ...base, waitingTasks: 1, blocks: [pending('b1'), connected('b2', 0, 0)] }), { submit: 0, end: [] });
});
