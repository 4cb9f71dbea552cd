/** The SDK's one backoff (sdk/backoff.ts): an exponential, capped ceiling with equal jitter, cap/2 + random(0, cap/2). */
import test from 'ava';
import { backoffDelay, equalJitter } from '../../sdk/backoff.js';

/** Runs `work` with Math.random answering `value`; puts it back even if `work` throws. */
function withRandom<T>(value: number, work: () => T): T {
  const real = Math.random;
  Math.random = () => value;
  try {
    return work();
  } finally {
    Math.random = real;
  }
}

test('equal jitter waits between half the cap and the cap, never less (full jitter would reach 0)', (t) => {
  t.is(withRandom(0, () => equalJitter(1000)), 500);
  t.is(withRandom(0.5, () => equalJitter(1000)), 750);
  t.true(withRandom(0.999_999, () => equalJitter(1000)) < 1000);
});

test('the ceiling doubles with each attempt from initialMs and stops at maxMs', (t) => {
  const backoff = { initialMs: 500, maxMs: 30_000 };
  // Math.random at 0: each delay is half its ceiling.
  t.deepEqual(withRandom(0, () => [0, 1, 2, 3, 6, 7, 20].map((attempt) => backoffDelay(attempt, backoff))), [250, 500, 1000, 2000, 15_000, 15_000, 15_000]);
  t.deepEqual(withRandom(0.999_999, () => [0, 7].map((attempt) => Math.round(backoffDelay(attempt, backoff)))), [500, 30_000]);
});
