/**
 * Ending an endpoint's lease long-poll early, without the agent hanging up.
 *
 * An agent that stops used to abort its poll's connection. But the service may
 * have just leased tasks into that poll: its answer then goes to a socket the
 * agent has left, and Node counts a response written into the socket buffer as
 * finished, so the service cannot tell it was never read. Those tasks waited
 * out the whole lease and lost an attempt. Instead a stopping agent keeps the
 * poll open and asks (POST .../polls/end) for it to end: the poll leases
 * nothing more and answers at once, and the agent hands back whatever that
 * answer still carries (releaseLeases.ts). The end travels as a wake-up key,
 * so the replica relay carries it to a poll held by another replica.
 *
 * Scoped to agent sessions: an end that names sessions ends only the polls of
 * those sessions (the same endpoint id may run on two hosts; one stopping or
 * reconciling must not cut the other's poll). An end naming none, or a poll
 * from an agent that sends no session, uses the endpoint-wide key.
 */
import type { Wakeups } from '../wakeups.js';

export const pollEndKey = (endpointId: string, session?: string) => (session ? `poll-end:${endpointId}:${session}` : `poll-end:${endpointId}`);

const POLL_ANSWERED = 'the poll answered';

/** Lease polls waiting now, per Wakeups instance (one per service) and poll-end key: what an end reports. */
const waiting = new WeakMap<Wakeups, Map<string, number>>();

export interface PollEnd {
  /** Aborts when the endpoint asked its polls (or this poll's session's) to end. */
  readonly signal: AbortSignal;
  /** Stop listening (when the poll answers). */
  close(): void;
}

/** Listens, for the whole of one lease poll, for its endpoint (or its agent session) asking it to end. */
export function listenForPollEnd(wakeups: Wakeups, endpointId: string, session?: string): PollEnd {
  const ended = new AbortController();
  const closed = new AbortController();
  const keys = session ? [pollEndKey(endpointId), pollEndKey(endpointId, session)] : [pollEndKey(endpointId)];
  const subscription = wakeups.subscribe(keys);
  // No timeout of its own: close() ends the wait (a poll lasts at most wait_s).
  void subscription.wait(2 ** 31 - 1, closed.signal).then(() => {
    if (subscription.fired) ended.abort();
  });
  const counts = waiting.get(wakeups) ?? new Map<string, number>();
  waiting.set(wakeups, counts);
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  let open = true;
  return {
    signal: ended.signal,
    close() {
      if (!open) return;
      open = false;
      // A reason of our own: abort() without one builds a DOMException (its stack too) for every
      // poll, a few percent of an idle poll's CPU, and nothing reads it.
      closed.abort(POLL_ANSWERED);
      subscription.unsubscribe();
      for (const key of keys) {
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
      }
    },
  };
}

/**
 * Asks lease polls (here and, through the relay, on other replicas) to end: those of the
 * named agent sessions, or every poll of the endpoint when none is named. Returns how many wait here.
 */
export function endLeasePolls(wakeups: Wakeups, endpointId: string, sessions: readonly string[] = []): number {
  const keys = sessions.length > 0 ? [...new Set(sessions)].map((session) => pollEndKey(endpointId, session)) : [pollEndKey(endpointId)];
  let here = 0;
  for (const key of keys) {
    here += waiting.get(wakeups)?.get(key) ?? 0;
    wakeups.notify(key);
  }
  return here;
}
