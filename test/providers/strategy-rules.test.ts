/** One strategy tick's decisions (endpoint/blocks/strategyRules.ts), as pure functions. */
import test from 'ava';
import { blocksStartOverdue, decideScaling, silentManagers, type LiveBlockView, type ScalingDecisionInput, type StartWatch } from '../../endpoint/blocks/strategyRules.js';

const NOW = 1_000_000;
const base: ScalingDecisionInput = {
  nowMs: NOW, waitingTasks: 0, waitingNodeNeeds: [], live: [], slotsPerBlock: 4, nodesPerBlock: 2,
  minBlocks: 0, maxBlocks: 3, maxIdleMs: 60_000, submitPausedUntilMs: 0,
};
const connected = (id: string, busy: number, freeNodes: number, idleSinceMs = NOW): LiveBlockView => ({ blockId: id, phase: 'connected', busy, slots: 4, idleSinceMs, freeNodes });
const watch = (id: string, over: Partial<StartWatch>): StartWatch => ({ id, ending: false, everConnected: false, startedAtMs: undefined, ...over });

test('a block running past manager_start_timeout with no manager ever connected is overdue; queued, connected or ending ones are not', (t) => {
  const blocks = [
    watch('late', { startedAtMs: NOW - 301_000 }),
    watch('in-time', { startedAtMs: NOW - 299_000 }),
    watch('queued', {}),
    watch('connected-once', { startedAtMs: NOW - 900_000, everConnected: true }),
    watch('ending', { startedAtMs: NOW - 900_000, ending: true }),
  ];
  t.deepEqual(blocksStartOverdue(blocks, NOW, 300_000).map((b) => b.id), ['late']);
});

test('a manager is silent only when heard from longer ago than manager_timeout', (t) => {
  const managers = [{ id: 'quiet', lastHeardMs: NOW - 60_001 }, { id: 'at-limit', lastHeardMs: NOW - 60_000 }, { id: 'fresh', lastHeardMs: NOW }];
  t.deepEqual(silentManagers(managers, NOW, 60_000).map((m) => m.id), ['quiet']);
});

test('MPI tasks needing nodes no live block has free get blocks of their own, even when slots are free', (t) => {
  // Slots are free on b1 (planScaling sees no need), but its one free node cannot hold a 2-node task.
  const input = { ...base, waitingTasks: 1, waitingNodeNeeds: [2], live: [connected('b1', 1, 1)] };
  t.deepEqual(decideScaling(input), { submit: 1, end: [] });
  t.deepEqual(decideScaling({ ...input, live: [connected('b1', 0, 2)] }), { submit: 0, end: [] });
});

test('submissions never pass max_blocks, counting live blocks', (t) => {
  const live = [connected('b1', 4, 0), connected('b2', 4, 0)];
  t.deepEqual(decideScaling({ ...base, waitingTasks: 1, waitingNodeNeeds: [2, 2, 2], live }), { submit: 1, end: [] });
  t.deepEqual(decideScaling({ ...base, waitingTasks: 9, live: [...live, connected('b3', 4, 0)] }), { submit: 0, end: [] });
});

test('while submissions are paused after failures nothing is submitted, but idle blocks still end', (t) => {
  const paused = { ...base, submitPausedUntilMs: NOW + 1 };
  t.deepEqual(decideScaling({ ...paused, waitingTasks: 5 }), { submit: 0, end: [] });
  t.deepEqual(decideScaling({ ...paused, waitingTasks: 5, submitPausedUntilMs: NOW }), { submit: 2, end: [] });
  t.deepEqual(decideScaling({ ...paused, live: [connected('b1', 0, 2, NOW - 60_000)] }), { submit: 0, end: ['b1'] });
});
