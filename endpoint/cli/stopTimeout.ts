/**
 * How long `funcx-endpoint stop` waits for the agent before SIGKILL: the agent's
 * longest drain (agent/endpointAgent.ts: the grace period, aborted tasks settling, posting results
 * and releasing leases) plus a margin for the executor's stop (ending blocks:
 * scancel). Killing it sooner cuts off a drain that was going to finish and leaves
 * results only in the spool.
 */
import { longestDrainMs } from '../agent/index.js';

/** For the executor's stop (cancelling blocks, killing workers) and a slow machine. */
const MARGIN_MS = 30_000;

export function forcedStopAfterMs(graceMs: number): number {
  return longestDrainMs(graceMs) + MARGIN_MS;
}
