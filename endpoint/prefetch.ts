/**
 * `prefetch: auto`: how many tasks to lease beyond free workers, so that a
 * worker that finishes finds its next task already here instead of waiting a
 * round trip to the service, without hoarding tasks another endpoint could
 * run sooner.
 *
 * While a lease round trip is on its way, a worker finishes about
 * round trip / task duration tasks; with `workers` workers and a safety
 * factor of two that is the prefetch. Tasks much longer than the round trip
 * give 0 (nothing to hide), so long tasks stay on the service where an
 * endpoint with a free worker can take them; no-op floods get many, capped at
 * MAX_PER_WORKER per worker. Until both a task and a round trip have been
 * observed, it is 0.
 *
 * Task duration is a moving average of finished tasks, but at least the
 * median age of the tasks running now: a batch of long tasks pulls the
 * prefetch down while it runs, not only once it has finished.
 */

/** Weight of a new observation in the moving averages. */
const SMOOTHING = 0.2;
/** Lease this many round trips' worth of work ahead. */
const SAFETY_FACTOR = 2;
/** At most this many prefetched tasks per worker. */
export const MAX_PREFETCH_PER_WORKER = 16;
/** And at most this many in all. */
export const MAX_PREFETCH = 1000;

export class PrefetchTuner {
  private taskMs: number | undefined;
  private roundTripMs: number | undefined;

  /** A task ran on a worker for this long. */
  taskFinished(ms: number): void {
    this.taskMs = average(this.taskMs, Math.max(0.01, ms));
  }

  /** A call to the service (a results post) took this long, there and back. */
  roundTrip(ms: number): void {
    this.roundTripMs = average(this.roundTripMs, Math.max(0.01, ms));
  }

  /** The prefetch for `workers` workers, given the ages (ms) of the tasks running now. */
  prefetch(workers: number, runningAgesMs: number[]): number {
    if (this.taskMs === undefined || this.roundTripMs === undefined || workers <= 0) return 0;
    const taskMs = Math.max(this.taskMs, median(runningAgesMs));
    const wanted = Math.floor((SAFETY_FACTOR * workers * this.roundTripMs) / taskMs);
    return Math.max(0, Math.min(wanted, MAX_PREFETCH_PER_WORKER * workers, MAX_PREFETCH));
  }

  /** For status reports. */
  observed(): { task_ms: number | null; round_trip_ms: number | null } {
    return { task_ms: rounded(this.taskMs), round_trip_ms: rounded(this.roundTripMs) };
  }
}

function average(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + SMOOTHING * (sample - previous);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function rounded(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 100) / 100;
}
