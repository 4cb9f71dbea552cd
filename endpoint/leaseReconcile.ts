/**
 * The agent's half of lease reconciliation (the service's: src/ledger/reconcileLeases.ts).
 *
 * Before the first lease of a run, and before the next lease after a lease
 * call that failed (its answer may have been lost: the service killed right
 * after it committed, the connection cut), the agent tells the service every
 * lease it holds, naming its agent session (session.ts; its lease calls carry
 * it) and, on start, the previous runs' sessions of its endpoint folder. The
 * service returns those sessions' other leases to the queue at once, the
 * attempt not counted: the leases of a previous run killed with -9, or of an
 * answer that never arrived. Without this they would wait out the whole lease
 * (60 s by default) and the reaper. Leases of other sessions (the same
 * endpoint id running on another host) are never touched.
 *
 * Why this is safe: only one agent runs per endpoint folder (its pidfile), so
 * the previous sessions are over; and the lease loop reconciles between its
 * own polls, so no lease answer can be on its way to this session while the
 * service reconciles. Every lease the agent might still use is listed: tasks
 * queued or running, and every result not yet acknowledged (in memory or
 * restored from the spool), so a task whose result is being posted is never
 * released.
 */
import type { HeldLease } from './client.js';

/** Every lease the agent holds, once each: its held tasks and its unacknowledged results. */
export function heldLeases(tasks: Iterable<{ lease: HeldLease }>, results: Iterable<HeldLease>): HeldLease[] {
  const seen = new Map<string, HeldLease>();
  const add = ({ task_id, lease_token }: HeldLease) => seen.set(`${task_id} ${lease_token}`, { task_id, lease_token });
  for (const task of tasks) add(task.lease);
  for (const result of results) add(result);
  return [...seen.values()];
}
