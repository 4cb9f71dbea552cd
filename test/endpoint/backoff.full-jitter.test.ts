/**
 * The endpoint's one backoff (endpoint/backoff.ts): exponential with full jitter, random(0, cap),
 * the service's Retry-After a floor. Backoff.wait is the retry step every endpoint loop takes.
 */
import test from 'ava';
import { Backoff, fullJitter, retryAfterMsOf } from '../../endpoint/backoff.js';
import { ServiceRejected, ServiceUnreachable } from '../../endpoint/errors.js';

test('full jitter draws from the whole range [0, cap], below half the cap too (equal jitter never would)', (t) => {
  const draws = Array.from({ length: 2000 }, () => fullJitter(1000));
  t.true(draws.every((ms) => ms >= 0 && ms <= 1000));
  t.true(draws.some((ms) => ms < 250), 'some waits fall in the lowest quarter');
  t.true(draws.some((ms) => ms > 750), 'some waits fall in the highest quarter');
});

test('the cap doubles with each failure up to its ceiling, and a success starts it over', (t) => {
  const backoff = new Backoff(100, 400);
  const ceilings = [100, 200, 400, 400];
  for (const ceiling of ceilings) {
    const ms = backoff.next();
    t.true(ms >= 0 && ms <= ceiling, `${ms} ≤ ${ceiling}`);
  }
  t.is(backoff.consecutiveFailures, 4);
  backoff.reset();
  t.is(backoff.consecutiveFailures, 0);
});

test('a 429/503 Retry-After is the floor of the wait; other errors carry none', async (t) => {
  t.is(retryAfterMsOf(new ServiceUnreachable('busy', 7_000)), 7_000);
  t.is(retryAfterMsOf(new ServiceUnreachable('down')), 0);
  t.is(retryAfterMsOf(new ServiceRejected('bad', 400, 'Invalid')), 0);
  const stopped = AbortSignal.abort(); // hear the wait, do not sit it out
  let heard = -1;
  await new Backoff(1, 1).wait(new ServiceUnreachable('busy', 60_000), stopped, (ms) => (heard = ms));
  t.is(heard, 60_000);
  await new Backoff(1, 1).wait(new Error('network'), stopped, (ms) => (heard = ms));
  t.true(heard >= 0 && heard <= 1);
});
