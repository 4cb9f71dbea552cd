/**
 * Request budgets: per identity (every authenticated request, but an endpoint's lease polls and
 * results posts that move tasks: requireEndpointCredential), and per client address for
 * refused credentials. Both live in the ledger database (src/limits/sharedBudgets.ts), so N
 * replicas allow the budget once, not N times: nothing is admitted that the shared budget did
 * not pay for, with one conditional UPDATE per request, or per chunk of a big identity budget
 * (prepaidChunk: 10 requests per write at the default 6,000 a minute).
 *
 * What stays in process is only what is exact: a key refused until time X has no budget
 * before X (budgets only refill with time, and nobody refills them early), so further
 * requests before X are refused here without asking the database. An address that ran out of
 * refused-credential budget through another replica is learnt by reading the exhausted
 * addresses at most once per second (in the background, when requests come): until then this
 * replica still checks (and counts) that address's credentials, so a good token from it may pass
 * here for up to about a second after it is blocked elsewhere.
 *
 * Spending is a write, on every request, reads included. When the database has no room to write
 * (a full disk, a table that cannot grow; src/db/storageFull.ts) the budget fails open: the request
 * passes unpaid rather than a read turning into an error, the monitor logs the episode once, and
 * keys already refused here stay refused until their time. Limits are back with the first write that fits.
 */
import type { Knex } from 'knex';
import { asError, TooManyRequests } from '../errors.js';
import type { Logger } from '../logger.js';
import { exhaustedKeys, spendBudget, storedKey, type BudgetSpec, type Spent } from '../limits/sharedBudgets.js';
import { isStatementTimeout, isStorageFullError } from '../db/storageFull.js';
import type { StorageMonitor } from '../db/storageMonitor.js';

/**
 * How long requests paid for in advance stay usable. A budget big enough to spend in chunks
 * (see prepaidChunk) pays for several requests with one database write; those not used within
 * the hold are forfeited. However long the hold, a replica holds at most (chunk - 1) paid
 * requests of a key when a window opens, so a window passes at most that many per replica more
 * than the shared budget paid for within it. The hold only decides how much is forfeited, and
 * how often an identity that calls every minute or so writes: an idle endpoint, whose poll
 * every 50 s stands for its heartbeats, paid a chunk every other poll with the one-window hold
 * (a minute) before; now once per chunk (docs/benchmarks.md, idle endpoints).
 */
export const PREPAID_HOLD_MS = 10 * 60_000;
/** Keys holding prepaid requests per budget; past it expired ones are swept, then the oldest forfeited. */
const PREPAID_KEYS = 100_000;
/** How stale this replica's list of addresses blocked elsewhere may be. */
const BLOCKED_REFRESH_MS = 1000;
/** Remembered refusals are swept when there are more than this many. */
const SWEEP_AT = 10_000;

/**
 * How many requests one database write pays for: 1 % of the budget, at least 1 and at most 10
 * (the default 6,000 a minute: 10 per write; budgets under 200: exact). Every request is paid before it
 * passes, so a key never gets more than its budget over time; a replica may use a paid request
 * up to PREPAID_HOLD_MS after paying, so a window can see at most (chunk - 1) per replica more
 * than its capacity, paid before it, and unused ones are forfeited (a slightly early 429).
 */
export function prepaidChunk(capacity: number): number {
  return Math.max(1, Math.min(10, Math.floor(capacity / 100)));
}

export class SharedBudget {
  /** Stored key -> local time (ms) before which the key has no budget. */
  private readonly refusedUntil = new Map<string, number>();
  /** Stored key -> requests already paid for and when they lapse (chunked budgets only). */
  private readonly prepaid = new Map<string, { left: number; untilMs: number }>();
  private readonly chunk: number;
  private readonly holdMs: number;

  private readonly storage?: StorageMonitor;

  constructor(private readonly db: Knex, readonly spec: BudgetSpec, private readonly what: string, options: { chunked?: boolean; storage?: StorageMonitor } = {}) {
    this.chunk = options.chunked ? prepaidChunk(spec.capacity) : 1;
    this.holdMs = PREPAID_HOLD_MS;
    this.storage = options.storage;
  }

  /** Spends one request of `key`'s budget, or throws TooManyRequests. */
  async take(key: string): Promise<void> {
    this.check(key);
    const stored = storedKey(key);
    const nowMs = Date.now();
    const paid = this.prepaid.get(stored);
    if (paid && paid.left > 0 && paid.untilMs > nowMs) {
      paid.left -= 1;
      return;
    }
    // A whole chunk if the budget has it, else the last few one at a time.
    let spent = this.chunk > 1 ? await this.spend(key, this.chunk) : undefined;
    if (spent?.ok) {
      this.keepPrepaid(stored, nowMs);
      return;
    }
    spent = await this.spend(key, 1);
    if (!spent.ok) {
      this.remember(stored, spent.retryAfterMs);
      throw this.refusal(spent.retryAfterMs);
    }
  }

  /** Holds the rest of a chunk just paid for `stored`, for this budget's hold. */
  private keepPrepaid(stored: string, nowMs: number): void {
    this.prepaid.delete(stored); // re-inserted last: the Map's order is then the order chunks were paid in
    if (this.prepaid.size >= PREPAID_KEYS) {
      for (const [k, p] of this.prepaid) if (p.untilMs <= nowMs) this.prepaid.delete(k);
      // Still full: the oldest holds are forfeited (those keys may be refused a little early, never late).
      for (const k of this.prepaid.keys()) {
        if (this.prepaid.size < PREPAID_KEYS * 0.9) break;
        this.prepaid.delete(k);
      }
    }
    this.prepaid.set(stored, { left: this.chunk - 1, untilMs: nowMs + this.holdMs });
  }

  /** Spends from the shared budget; passes unpaid (fails open) when the database has no room to write. */
  private async spend(key: string, count: number): Promise<Spent> {
    try {
      return await spendBudget(this.db, this.spec, key, count);
    } catch (error) {
      if (!isStorageFullError(error) && !isStatementTimeout(error)) throw error;
      if (isStorageFullError(error)) this.storage?.noteFull(error);
      return { ok: true };
    }
  }

  /** Throws TooManyRequests when `key` is known to have no budget left, without spending any. */
  check(key: string): void {
    const stored = storedKey(key);
    const until = this.refusedUntil.get(stored);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left > 0) throw this.refusal(left);
    this.refusedUntil.delete(stored);
  }

  /** Takes in what the database says is exhausted now (stored key -> ms until it has room). */
  learn(exhausted: Map<string, number>): void {
    for (const [stored, retryAfterMs] of exhausted) this.remember(stored, retryAfterMs);
  }

  private remember(stored: string, retryAfterMs: number): void {
    const nowMs = Date.now();
    if (this.refusedUntil.size >= SWEEP_AT) {
      for (const [k, until] of this.refusedUntil) if (until <= nowMs) this.refusedUntil.delete(k);
    }
    this.refusedUntil.set(stored, nowMs + retryAfterMs);
  }

  private refusal(retryAfterMs: number): TooManyRequests {
    const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return new TooManyRequests(`too many ${this.what}; try again in ${retryAfterS} s`, retryAfterS);
  }
}

/** The service's two budgets; a limit of 0 means none. */
export interface RateLimits {
  /** Every authenticated request, by identity ('user:sub', 'endpoint:id'). */
  identity(key: string): Promise<void>;
  /** Refuses an identity this replica knows to be out of budget, spending nothing (for requests charged afterwards, if at all). */
  checkIdentity(key: string): void;
  /** Refuses early an address that has used up its refused-credential budget (here or on another replica). */
  checkAddress(address: string): void;
  /** Counts a refused credential against the address; throws 429 when over. */
  refused(address: string): Promise<void>;
}

export function rateLimits(
  config: { rateLimitRequests: number; rateLimitAuthFailures: number; rateLimitWindow: number },
  db: Knex,
  options: { logger?: Logger; shutdown?: AbortSignal; storage?: StorageMonitor } = {},
): RateLimits {
  const windowMs = config.rateLimitWindow;
  const perIdentity = config.rateLimitRequests > 0
    ? new SharedBudget(db, { bucket: 'identity', capacity: config.rateLimitRequests, windowMs }, 'requests', { chunked: true, storage: options.storage })
    : undefined;
  const failures = config.rateLimitAuthFailures > 0
    ? new SharedBudget(db, { bucket: 'refused', capacity: config.rateLimitAuthFailures, windowMs }, 'refused credentials from this address', { storage: options.storage })
    : undefined;

  let lastRefresh = 0;
  const refreshBlocked = () => {
    const nowMs = Date.now();
    if (!failures || nowMs - lastRefresh < BLOCKED_REFRESH_MS) return;
    lastRefresh = nowMs;
    // Not awaited: the request goes on with what is known; the next ones see the answer.
    exhaustedKeys(db, failures.spec).then(
      (exhausted) => failures.learn(exhausted),
      (error) => {
        if (!options.shutdown?.aborted) options.logger?.warn({ err: asError(error) }, 'could not read the addresses out of refused-credential budget');
      },
    );
  };
  return {
    identity: async (key) => perIdentity?.take(key),
    checkIdentity: (key) => perIdentity?.check(key),
    checkAddress: (address) => {
      refreshBlocked();
      failures?.check(address);
    },
    refused: async (address) => failures?.take(address),
  };
}
