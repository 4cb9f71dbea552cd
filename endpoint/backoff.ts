/**
 * Exponential backoff with full jitter: after n consecutive failures wait a
 * random time up to min(cap, base * 2^n), so endpoints that lost the service
 * together do not return together. Reset after a success.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly baseMs = 250, private readonly capMs = 30_000) {}

  /** The next wait, and counts the failure. A server's Retry-After is a floor. */
  next(retryAfterMs = 0): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.failures);
    this.failures += 1;
    return Math.max(retryAfterMs, Math.round(Math.random() * ceiling));
  }

  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
