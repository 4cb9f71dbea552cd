/**
 * How many payload bytes the agent's next lease may bring (the lease request's max_bytes).
 *
 * Leased payloads live in the agent's heap until their tasks' results are posted, and a
 * lease answer is in the heap about three times while it arrives (the body text, the parsed
 * strings, a worker's copy on its way to the worker's stdin). With a bounded old space
 * (agentNodeFlags.ts) a prefetch of large payloads could otherwise fill it and crash the
 * agent: so the payloads held and the next answer together stay under an eighth of the heap
 * limit, which leaves the three copies of a full budget under half of it. The service always
 * leases at least one task, so a single task larger than the budget still runs, alone.
 */
import { getHeapStatistics } from 'node:v8';

/** The share of the heap limit that held payloads and the next lease answer may take together. */
export const LEASE_HEAP_SHARE = 1 / 8;

/** This process's heap limit (bytes): what --max-old-space-size sets, plus the young generation. */
export function heapLimitBytes(): number {
  return getHeapStatistics().heap_size_limit;
}

/**
 * The next lease's byte budget, given the payloads already held (string lengths: a V8 heap
 * string of Latin-1 text takes a byte per character). Zero or less: lease nothing until
 * held tasks finish.
 */
export function leaseByteBudget(heldPayloadChars: number, heapLimit: number = heapLimitBytes()): number {
  return Math.floor(heapLimit * LEASE_HEAP_SHARE) - heldPayloadChars;
}

/**
 * The payload characters of held tasks queued or running. A task reporting its result is not
 * counted, as it takes no room either: its result is on its way, and the lease loop is woken when
 * a task finishes, not when its result is acknowledged (counting it would leave the loop asleep).
 */
export function heldPayloadChars(held: Iterable<{ lease: { payload: string }; phase: string }>): number {
  let total = 0;
  for (const task of held) if (task.phase !== 'reporting') total += task.lease.payload.length;
  return total;
}
