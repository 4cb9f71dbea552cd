/**
 * Request budgets: a token bucket per key (an identity, or a client address for
 * refused credentials). Holds `capacity` requests, refilled evenly over the
 * window, so bursts up to the budget pass and a steady overload gets 429 with
 * the seconds until the next request fits. In memory, per replica: N replicas
 * allow up to N times the budget, which is enough to stop a runaway client.
 */
import { TooManyRequests } from '../errors.js';

interface Bucket {
  tokens: number;
  atMs: number;
}

const PRUNE_EVERY = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private takes = 0;

  constructor(readonly capacity: number, windowMs: number) {
    this.perMs = capacity / windowMs;
  }

  /** Spends one request of `key`'s budget, or throws TooManyRequests. */
  take(key: string, what: string): void {
    const bucket = this.refilled(key);
    if (bucket.tokens < 1) throw this.refusal(bucket, what);
    bucket.tokens -= 1;
    if (++this.takes % PRUNE_EVERY === 0) this.prune();
  }

  /** Throws TooManyRequests when `key` has no budget left, without spending any. */
  check(key: string, what: string): void {
    const bucket = this.buckets.get(key);
    if (bucket && this.refilled(key).tokens < 1) throw this.refusal(bucket, what);
  }

  private refilled(key: string): Bucket {
    const nowMs = Date.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.capacity, atMs: nowMs };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (nowMs - bucket.atMs) * this.perMs);
    bucket.atMs = nowMs;
    return bucket;
  }

  private refusal(bucket: Bucket, what: string): TooManyRequests {
    const retryAfterS = Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
    return new TooManyRequests(`too many ${what}; try again in ${retryAfterS} s`, retryAfterS);
  }

  /** Full buckets carry no information: drop them so the map stays small. */
  private prune(): void {
    const nowMs = Date.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (nowMs - bucket.atMs) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
  }
}

/** The service's two budgets; a limit of 0 means none. */
export interface RateLimits {
  /** Every authenticated request, by identity ('user:sub', 'endpoint:id'). */
  identity(key: string): void;
  /** Refuses early an address that has used up its refused-credential budget. */
  checkAddress(address: string): void;
  /** Counts a refused credential against the address; throws 429 when over. */
  refused(address: string): void;
}

export function rateLimits(config: { rateLimitRequests: number; rateLimitAuthFailures: number; rateLimitWindow: number }): RateLimits {
  const perIdentity = config.rateLimitRequests > 0 ? new RateLimiter(config.rateLimitRequests, config.rateLimitWindow) : undefined;
  const failures = config.rateLimitAuthFailures > 0 ? new RateLimiter(config.rateLimitAuthFailures, config.rateLimitWindow) : undefined;
  return {
    identity: (key) => perIdentity?.take(key, 'requests'),
    checkAddress: (address) => failures?.check(address, 'refused credentials from this address'),
    refused: (address) => failures?.take(address, 'refused credentials from this address'),
  };
}
