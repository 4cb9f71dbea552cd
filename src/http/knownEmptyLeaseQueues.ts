/**
 * Which endpoints' queues this service instance knows to be empty, so that an idle agent's next
 * poll need not look first thing. An idle endpoint's poll used to cost one lease read at its
 * start (the safety net for a wake-up missed between polls); with 1,000 idle endpoints that was
 * a third of the database's statements. Now a poll whose endpoint's last look here found
 * nothing, with no wake-up for it heard since, starts waiting at once.
 *
 * The rule is the long-poll's: mark before reading, then read. A look marks its queue as it
 * starts; every wake-up this process hears for the queue (a submit here or, through the
 * replica relay, on another replica; a hand-back; a reaped lease; a retried result) deletes
 * the mark; a look that finds nothing confirms its own mark only if it is still there. So a
 * confirmed mark says: nothing was leasable when that look read, and nothing has woken the
 * queue since it started.
 *
 * What no wake-up reports is caught by age: a mark is trusted for KNOWN_EMPTY_TRUST_MS after
 * its look started, so an idle endpoint still looks at least that often (every sixth 50 s
 * poll). Those are a relay announcement lost (a failed write, a gap given up), a concurrent
 * lease rolled back, or a change another process made without the relay (a second SQLite
 * process, whose own polls' re-checks still see it within FUNCX_POLL_FALLBACK_INTERVAL).
 * docs/api.md says so.
 */
import { performance } from 'node:perf_hooks';
import type { Wakeups } from '../wakeups.js';

/** How long a look that found nothing stands for the next polls' first looks. */
export const KNOWN_EMPTY_TRUST_MS = 5 * 60_000;
/** Marks kept per service instance; past it the oldest go first (one per endpoint polling here). */
const MAX_MARKS = 100_000;

/** One look's claim on a queue, confirmed if the look finds nothing and nothing woke the queue meanwhile. */
export interface QueueLook {
  readonly startedAt: number;
  confirmed: boolean;
}

export class KnownEmptyLeaseQueues {
  private readonly marks = new Map<string, QueueLook>();

  /** Hears the service's wake-ups for as long as both live (the lease route keeps one per service). */
  constructor(wakeups: Wakeups, private readonly trustMs = KNOWN_EMPTY_TRUST_MS) {
    wakeups.hear((key) => this.marks.delete(key));
  }

  /** Whether a look at the queue found nothing within trustMs, with nothing heard for it since. */
  isKnownEmpty(key: string): boolean {
    const mark = this.marks.get(key);
    if (!mark?.confirmed) return false;
    if (performance.now() - mark.startedAt < this.trustMs) return true;
    this.marks.delete(key);
    return false;
  }

  /** Called before a look reads the queue; pass what it returns to lookFound. */
  lookStarts(key: string): QueueLook {
    const mark: QueueLook = { startedAt: performance.now(), confirmed: false };
    this.marks.delete(key); // re-inserted last: the Map's order is then oldest mark first
    this.marks.set(key, mark);
    if (this.marks.size > MAX_MARKS) this.marks.delete(this.marks.keys().next().value as string);
    return mark;
  }

  /** After the look: confirms its mark if it found nothing and the mark is still its own. */
  lookFound(key: string, mark: QueueLook, tasks: number): void {
    if (this.marks.get(key) !== mark) return; // woken, or another look started since
    if (tasks === 0) mark.confirmed = true;
    else this.marks.delete(key);
  }
}
