/**
 * The one long-poll: every route that holds a request open until something
 * happens (an endpoint's lease, a client's task wait, a multi-user endpoint's
 * user demand, the cancel watch, a task's live output) is this loop with its
 * own look and its own wake-up keys.
 *
 * It owns what each of them must get right:
 * - the keys are watched before each look, so a wake-up that arrives between
 *   the look and the wait is kept and ends the wait at once (none is lost);
 * - the deadline: it answers the last look when the time is up, after one
 *   more look (unless the route says the caller looks first thing anyway);
 * - a look at least every `recheckMs` without a wake-up (a change made
 *   through another replica with no relay);
 * - the client hanging up, the service stopping, or the route's own signal
 *   ends the wait; then it answers the look that follows;
 * - the watch is removed however the poll ends (an error in a look too).
 */
import type { ServerResponse } from 'node:http';
import { linkedAbortSignal } from '@funcx-ts/shared/linkedAbortSignal.js';
import { abortOnClientGone } from './clientGone.js';
import type { Wakeups, Watch } from '../wakeups.js';

/** What a look is told about the poll it runs in. */
export interface LookContext {
  /** The keys that woke it: undefined for the first look, [] after the recheck time, the deadline or a stop. */
  readonly fired: readonly string[] | undefined;
  /** Aborts when the client hangs up (a route that acts, like the lease, must not act for a caller who has left). */
  readonly clientGone: AbortSignal;
}

export interface LongPoll<T> {
  /** Holds the request open at most this long, in ms. */
  waitMs: number;
  /**
   * The wake-up keys that make it look again. A function when they can change between looks
   * (read again before each look, and watched before that look runs).
   */
  keys: readonly string[] | (() => Promise<readonly string[]>);
  /** Reads (or acts); its answer is the poll's once `done` holds, the deadline passes or the poll stops. */
  look: (context: LookContext) => Promise<T>;
  done: (found: T) => boolean;
  /** Look again after this many ms without a wake-up (POSITIVE_INFINITY: only a wake-up or the deadline). */
  recheckMs: number;
  /**
   * True (the default) looks once more when the deadline ends a wait nothing woke. False answers the last
   * look instead: for a caller that polls again and looks first thing, where an idle poll should cost one look.
   */
  lookAtDeadline?: boolean;
  /** Ends the wait besides the client hanging up and the service stopping. */
  stop?: AbortSignal;
}

/** The service's wake-ups and its shutdown signal (ServiceDeps has both). */
export interface LongPollDeps {
  wakeups: Wakeups;
  shutdown: AbortSignal;
}

/** Runs `poll` for the request whose response is `res` (to see its client hang up); answers its last look. */
export async function longPoll<T>(host: LongPollDeps, res: ServerResponse, poll: LongPoll<T>): Promise<T> {
  const deadline = deadlineOf(Date.now(), poll.waitMs);
  const clientGone = abortOnClientGone(res);
  // Not AbortSignal.any: on Node 20 it links every poll into the shutdown signal for good (linkedAbortSignal.ts).
  const stopping = linkedAbortSignal(poll.stop ? [host.shutdown, clientGone, poll.stop] : [host.shutdown, clientGone]);
  const stop = stopping.signal;
  const readKeys = typeof poll.keys === 'function' ? poll.keys : undefined;
  // Fixed keys: one watch for the whole poll (a wait on 1,000 tasks subscribes once, not at each wake-up).
  let watch: Watch | undefined = readKeys ? undefined : host.wakeups.watch(poll.keys as readonly string[]);
  try {
    let fired: readonly string[] | undefined;
    let lastLook = false;
    for (;;) {
      if (readKeys) {
        // The keys as they are now, watched before the look: a wake-up during the look is kept.
        const keys = await readKeys();
        watch?.unsubscribe();
        watch = host.wakeups.watch(keys);
      }
      const found = await poll.look({ fired, clientGone });
      const remaining = deadline - Date.now();
      if (lastLook || poll.done(found) || remaining <= 0 || stop.aborted) return found;
      const untilDeadline = remaining <= poll.recheckMs;
      fired = await watch!.next(untilDeadline ? remaining : poll.recheckMs, stop);
      // The wait ran out at the deadline with nothing woken: one last look, or none. Decided by which wait
      // it was, not by the clock: a timer may fire a millisecond before Date.now() says the time is up.
      if (untilDeadline && fired.length === 0 && !stop.aborted) {
        if (poll.lookAtDeadline === false) return found;
        lastLook = true;
      }
    }
  } finally {
    watch?.unsubscribe();
    stopping.release();
  }
}

/** Waits at least this long end on a whole second (DEADLINE_TICK_MS), early by less than a tick. */
export const ALIGNED_WAIT_MS = 10_000;
export const DEADLINE_TICK_MS = 1_000;

/**
 * When a wait of `waitMs` from `nowMs` ends. A long wait ends on the last whole second before its
 * time, up to DEADLINE_TICK_MS early: the polls whose times fall in the same second are then
 * answered by one timer, in one turn of the event loop, not each by its own wake-up of an
 * otherwise idle process (on these VMs a wake-up costs more than the answer; docs/benchmarks.md,
 * idle endpoints). A poll answered early is polled again; the agent's next poll comes at once.
 */
export function deadlineOf(nowMs: number, waitMs: number): number {
  const end = nowMs + waitMs;
  return waitMs >= ALIGNED_WAIT_MS ? end - (end % DEADLINE_TICK_MS) : end;
}
