/**
 * The endpoint's one backoff for calls to the service: exponential, with full jitter. After n
 * consecutive failures a call waits a uniformly random time in [0, min(cap, base * 2^n)], so
 * endpoints that lost the service together do not return together. Reset after a success.
 * A 429/503's Retry-After is a floor.
 *
 * "Full jitter" is random(0, cap); "equal jitter" would be cap/2 + random(0, cap/2), which never
 * waits less than half the cap. The endpoint uses full jitter only.
 */
import { sleep } from '@funcx-ts/shared/time.js';
import { ServiceUnreachable } from './errors.js';

/** Full jitter: a uniformly random whole number of milliseconds in [0, capMs]. */
export function fullJitter(capMs: number): number {
  return Math.round(Math.random() * capMs);
}

/** How long the service asked us to wait before retrying (Retry-After on a 429/503), or 0. */
export function retryAfterMsOf(error: unknown): number {
  return error instanceof ServiceUnreachable ? error.retryAfterMs ?? 0 : 0;
}

export class Backoff {
  private failures = 0;

  constructor(private readonly baseMs = 250, private readonly capMs = 30_000) {}

  /** The next wait, and counts the failure. A server's Retry-After is a floor. */
  next(retryAfterMs = 0): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.failures);
    this.failures += 1;
    return Math.max(retryAfterMs, fullJitter(ceiling));
  }

  /**
   * The retry-with-backoff step every endpoint loop takes after a failed service call: waits the
   * next step (the error's Retry-After as its floor), or until `signal` aborts. `onWait` hears
   * the wait first (to log it).
   */
  async wait(error: unknown, signal?: AbortSignal, onWait?: (ms: number) => void): Promise<void> {
    const ms = this.next(retryAfterMsOf(error));
    onWait?.(ms);
    await sleep(ms, signal);
  }

  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
