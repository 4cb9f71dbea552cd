/**
 * prefetch: auto sizes the lease-ahead from observed task durations and round
 * trips: nothing before it has seen both, many for tasks far shorter than a
 * round trip (capped per worker), none for tasks far longer, and tasks that
 * run long now pull it down before they finish.
 */
import test from 'ava';
import { MAX_PREFETCH, MAX_PREFETCH_PER_WORKER, PrefetchTuner } from '../../endpoint/prefetch.js';

test('nothing is leased ahead before a task and a round trip were observed', (t) => {
  const tuner = new PrefetchTuner();
  t.is(tuner.prefetch(4, []), 0);
  tuner.taskFinished(1);
  t.is(tuner.prefetch(4, []), 0);
  tuner.roundTrip(5);
  t.true(tuner.prefetch(4, []) > 0);
});

test('tasks shorter than the round trip: workers × two round trips of them, capped per worker', (t) => {
  const tuner = new PrefetchTuner();
  tuner.taskFinished(2);
  tuner.roundTrip(5);
  t.is(tuner.prefetch(4, []), 20); // 2 × 4 × 5 / 2
  for (let i = 0; i < 100; i++) tuner.taskFinished(0.001); // a moving average: it follows within tens of tasks
  t.is(tuner.prefetch(4, []), 4 * MAX_PREFETCH_PER_WORKER);
  t.is(tuner.prefetch(4096, []), MAX_PREFETCH);
});

test('tasks much longer than the round trip: none leased ahead', (t) => {
  const tuner = new PrefetchTuner();
  tuner.taskFinished(10_000);
  tuner.roundTrip(5);
  t.is(tuner.prefetch(4, []), 0);
});

test('tasks running long now pull the prefetch down before they finish; one long task among short ones does not', (t) => {
  const tuner = new PrefetchTuner();
  tuner.taskFinished(1);
  tuner.roundTrip(5);
  t.is(tuner.prefetch(2, [0.5, 0.2]), 20);
  t.is(tuner.prefetch(2, [5_000, 3_000]), 0);
  t.is(tuner.prefetch(4, [0.5, 0.2, 0.7, 60_000]), 40);
});
