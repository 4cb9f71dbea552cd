/**
 * The SDK's one backoff, for every retry loop in the package (the transport's retries, the
 * Executor's outage wait, waiting for a file lock): exponential, capped, with equal jitter.
 *
 * Equal jitter waits between half the ceiling and the ceiling (cap/2 + random(0, cap/2)),
 * so many clients retrying at once spread out, yet none comes back much sooner than the
 * ceiling says. (Full jitter, random(0, cap), spreads more but may retry at once.)
 */

export interface Backoff {
  /** The ceiling of the first wait, in ms; it doubles with each attempt. */
  initialMs: number;
  /** No ceiling above this. */
  maxMs: number;
}

/** How long to wait before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  return equalJitter(Math.min(backoff.initialMs * 2 ** attempt, backoff.maxMs));
}

/** cap/2 + random(0, cap/2). */
export function equalJitter(capMs: number): number {
  return capMs / 2 + Math.random() * (capMs / 2);
}
