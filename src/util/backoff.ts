/**
 * The service's one backoff, for its retry loops (a statement that collided with another:
 * deadlock, lock-wait timeout, SQLITE_BUSY; another process migrating): exponential with
 * full jitter, a wait anywhere from 0 to the ceiling (random(0, cap)). Colliding
 * transactions then spread out instead of colliding again in lockstep, and the first
 * retry is often at once, which is what a short collision wants.
 */

export interface Backoff {
  /** The ceiling before the first retry (attempt 0), in ms; it doubles with each attempt. */
  initialMs: number;
  /** No ceiling above this. */
  maxMs: number;
}

/** How long to wait before retry number `attempt`. */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  return fullJitter(Math.min(backoff.initialMs * 2 ** attempt, backoff.maxMs));
}

/** random(0, cap). */
export function fullJitter(capMs: number): number {
  return Math.random() * capMs;
}
