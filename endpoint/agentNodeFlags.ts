/**
 * V8 flags for the endpoint agent's own process.
 *
 * The agent's heap holds little (held tasks, an outbox of results), but V8's default
 * young generation (16 MiB semi-spaces on 64-bit) lets it grow to ~115 MiB resident under a
 * flood of tasks. One-MiB semi-spaces keep it at ~84 MiB for the same run with no measurable
 * CPU cost per task (e2e bench, 2026-11-30: 300 µs against 290–333 µs per task), which is what
 * brings an endpoint with four Python workers under 150 MB. Every path that starts an agent
 * process passes these; the bin's shebang does the same for a foreground `funcx-endpoint start`.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
