/**
 * Ending the agent's lease poll when it stops, without hanging up on it.
 *
 * A poll aborted by the agent may already have been answered with tasks that
 * then reach nobody: they waited out their whole lease and lost an attempt.
 * So a stopping agent keeps the connection open and asks the service to end
 * the poll (POST .../polls/end, see src/http/leasePollEnd.ts); the poll answers
 * at once and the agent hands back whatever the answer carries. The ask is
 * repeated while the poll is still open, since it may overtake the poll's own
 * request on its way in. Only when the service does not answer the ask (it is
 * down) or the poll is not over within `boundMs` is the poll aborted; the
 * agent then reconciles its leases before it exits (leaseReconcile.ts), which
 * returns anything that answer held.
 */
import { sleep } from '@funcx-ts/shared/time.js';

/** How often the ask is repeated while the poll stays open. */
const ASK_AGAIN_MS = 500;

export async function endPollInFlight(input: {
  /** The poll: settles when it is answered or fails. */
  poll: Promise<unknown>;
  ask: () => Promise<unknown>;
  abort: () => void;
  boundMs: number;
}): Promise<'answered' | 'aborted'> {
  let over = false;
  const settled = input.poll.then(() => (over = true), () => (over = true));
  const deadline = Date.now() + input.boundMs;
  const stopWaiting = new AbortController(); // so no timer outlives the poll
  const untilDeadline = () => sleep(Math.max(0, deadline - Date.now()), stopWaiting.signal);
  try {
    while (!over && Date.now() < deadline) {
      // A hung ask counts against the bound too.
      const asked = input.ask().then(() => 'asked' as const, () => 'failed' as const);
      const first = await Promise.race([asked, settled.then(() => 'over' as const), untilDeadline().then(() => 'late' as const)]);
      if (first === 'failed' && !over) break; // the service cannot be asked: the poll is failing or will fail anyway
      if (first !== 'asked') continue;
      await Promise.race([settled, sleep(Math.min(ASK_AGAIN_MS, Math.max(0, deadline - Date.now())), stopWaiting.signal)]);
    }
  } finally {
    stopWaiting.abort();
  }
  if (over) return 'answered';
  input.abort();
  return 'aborted';
}
