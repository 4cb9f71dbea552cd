/**
 * How long `funcx-endpoint stop` waits for the agent before SIGKILL. The agent's own
 * drain (agent.ts) may take: the grace period for running tasks, up to 5 s more for
 * the aborted ones to settle, then up to max(5 s, grace) to post results and release
 * leases, and the executor's stop (ending blocks: scancel). Killing it sooner cuts
 * off a drain that was going to finish and leaves results only in the spool.
 */
const ABORT_SETTLE_MS = 5_000;
const MIN_FLUSH_MS = 5_000;
/** For the executor's stop (cancelling blocks, killing workers) and a slow machine. */
const MARGIN_MS = 30_000;

export function forcedStopAfterMs(graceMs: number): number {
  return graceMs + ABORT_SETTLE_MS + Math.max(MIN_FLUSH_MS, graceMs) + MARGIN_MS;
}
