/** The service's one backoff (src/util/backoff.ts): exponential ceiling with full jitter, random(0, cap). */
import test from 'ava';
import { backoffDelay, fullJitter } from '../../src/util/backoff.js';
import { COLLISION_BACKOFF } from '../../src/db/transaction.js';

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

test('full jitter waits anywhere from 0 to the cap (equal jitter would never go under half)', (t) => {
  t.is(withRandom(0, () => fullJitter(1000)), 0);
  t.is(withRandom(0.25, () => fullJitter(1000)), 250);
  t.true(withRandom(0.999_999, () => fullJitter(1000)) < 1000);
});

test('a collided statement waits at most 10 ms before its first retry (attempt 1), doubling each retry', (t) => {
  t.deepEqual(withRandom(0.999_999, () => [1, 2, 3, 7].map((attempt) => Math.round(backoffDelay(attempt, COLLISION_BACKOFF)))), [10, 20, 40, 640]);
  t.is(withRandom(0.5, () => backoffDelay(40, { initialMs: 5, maxMs: 1000 })), 500, 'the ceiling stops at maxMs');
});
