/**
 * A long-poll's deadline (src/http/longPoll.ts, deadlineOf): a wait of ALIGNED_WAIT_MS or more
 * ends on the last whole second before its time, never after it and less than a tick early, so
 * the polls whose times fall in one second are answered by one timer in one turn of the event
 * loop (docs/benchmarks.md, idle endpoints); a shorter wait ends exactly on its time.
 */
import test from 'ava';
import { ALIGNED_WAIT_MS, DEADLINE_TICK_MS, deadlineOf } from '../../src/http/longPoll.js';

test('a long wait ends on the last whole second before its time: never late, less than a tick early', (t) => {
  const start = 1_765_000_000_123;
  for (const waitMs of [ALIGNED_WAIT_MS, 20_000, 50_000, 59_999]) {
    for (let offset = 0; offset < 2 * DEADLINE_TICK_MS; offset += 37) {
      const deadline = deadlineOf(start + offset, waitMs);
      const asked = start + offset + waitMs;
      t.is(deadline % DEADLINE_TICK_MS, 0, `${waitMs} ms from +${offset}`);
      t.true(deadline <= asked && asked - deadline < DEADLINE_TICK_MS);
    }
  }
});

test('polls of one wait that arrive within the same second share one deadline', (t) => {
  const second = 1_765_000_000_000;
  const deadlines = new Set([0, 150, 420, 999].map((ms) => deadlineOf(second + ms, 50_000)));
  t.deepEqual([...deadlines], [second + 50_000]);
});

test('a shorter wait ends exactly on its time', (t) => {
  for (const waitMs of [0, 1, 250, 2_000, ALIGNED_WAIT_MS - 1]) t.is(deadlineOf(1_765_000_000_123, waitMs), 1_765_000_000_123 + waitMs);
});
