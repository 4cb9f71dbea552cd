/**
 * V8 flags for the endpoint agent's own process.
 *
 * The agent's heap holds little (held tasks, an outbox of results), but V8's default
 * young generation (16 MiB semi-spaces on 64-bit) lets it grow to ~115 MiB resident under a
 * flood of tasks. One-MiB semi-spaces keep it at ~84 MiB for the same run with no measurable
 * CPU cost per task (e2e bench, 2026-11-30: 300 µs against 290–333 µs per task), which is what
 * brings an endpoint with four Python workers under 150 MB.
 *
 * A 1 GiB old space (the default is sized from the machine's memory) makes V8 grow the heap in
 * smaller steps: after 20,000 no-op tasks the endpoint's PSS went from 90–116 MiB to 83–86 MiB
 * (agent 49–75 to 42–45 MiB; e2e bench, 2026-12-06, docs/benchmarks.md). 512 MiB measured
 * 79 MiB, within the spread, but leaves less room for what the agent must hold: the lease byte budget is an eighth
 * of the heap (leaseBudget.ts), 128 MiB of payloads here, and one payload at the service's
 * default 10 MB limit or a few results at its 10 MB result limit are far from the limit.
 * Every path that starts an agent process passes these; the bin's shebang does the same for a
 * foreground `funcx-endpoint start`.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=1024'];
