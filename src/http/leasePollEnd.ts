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
 */
import type { Wakeups } from '../wakeups.js';

export const pollEndKey = (endpointId: string) => `poll-end:${endpointId}`;

/** Lease polls waiting now, per Wakeups instance (one per service) and endpoint: what an end reports. */
const waiting = new WeakMap<Wakeups, Map<string, number>>();

export interface PollEnd {
  /** Aborts when the endpoint asked its polls to end. */
  readonly signal: AbortSignal;
  /** Stop listening (when the poll answers). */
  close(): void;
}

/** Listens, for the whole of one lease poll, for its endpoint asking it to end. */
export function listenForPollEnd(wakeups: Wakeups, endpointId: string): PollEnd {
  const ended = new AbortController();
  const closed = new AbortController();
  const subscription = wakeups.subscribe([pollEndKey(endpointId)]);
  // No timeout of its own: close() ends the wait (a poll lasts at most wait_s).
  void subscription.wait(2 ** 31 - 1, closed.signal).then(() => {
    if (subscription.fired) ended.abort();
  });
  const counts = waiting.get(wakeups) ?? new Map<string, number>();
  waiting.set(wakeups, counts);
  counts.set(endpointId, (counts.get(endpointId) ?? 0) + 1);
  let open = true;
  return {
    signal: ended.signal,
    close() {
      if (!open) return;
      open = false;
      closed.abort();
      subscription.unsubscribe();
      const left = (counts.get(endpointId) ?? 1) - 1;
      if (left > 0) counts.set(endpointId, left);
      else counts.delete(endpointId);
    },
  };
}

/** Asks the endpoint's waiting lease polls (here and, through the relay, on other replicas) to end; returns how many wait here. */
export function endLeasePolls(wakeups: Wakeups, endpointId: string): number {
  const here = waiting.get(wakeups)?.get(endpointId) ?? 0;
  wakeups.notify(pollEndKey(endpointId));
  return here;
}
