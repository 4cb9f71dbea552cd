/**
 * Live output: ships what running tasks print to the service, at most once a second per task
 * (POST /v3/endpoints/{id}/output), and what is left of a task's output when it ends, before
 * its result is posted (so a reader that sees the task finished has seen all its output).
 *
 * Bounded: each task holds at most MAX_PENDING_BYTES not yet sent; past it the oldest unsent
 * text is dropped, and the next chunk's offset jumps over it (the service then keeps from
 * there: its `dropped`). A task printing 50 MB therefore costs about 1 MiB here, whatever the
 * service's speed. Best effort throughout: output that cannot be sent is dropped, never retried
 * past the task's end, and never holds up a result for more than FINISH_BOUND_MS.
 */
import type { Logger } from './logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { sleep } from '@funcx-ts/shared/time.js';
import type { OutputChunk, ServiceClient } from './client.js';

/** Unsent text kept per task (bytes). */
export const MAX_PENDING_BYTES = 1024 * 1024;
/** How often new output is sent (per task, and for all tasks in one request). */
const SHIP_INTERVAL_MS = 1_000;
/** The most text one request carries (all tasks together); the rest goes in the next. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** A finished task's last output waits at most this long before its result is posted anyway. */
const FINISH_BOUND_MS = 5_000;

interface TaskOutput {
  leaseToken: string;
  /** Byte offset (in the task's output stream) of the first pending byte. */
  offset: number;
  pending: Buffer[];
  pendingBytes: number;
}

export class OutputShipper {
  private readonly tasks = new Map<string, TaskOutput>();
  private timer: NodeJS.Timeout | undefined;
  private shipping: Promise<void> | undefined;
  private closed = false;
  /** Leases the service refused ("task/token"): their output is no longer taken. */
  private readonly refused = new Set<string>();

  constructor(private readonly deps: { client: ServiceClient; credential: string; endpointId: string; log: Logger }) {}

  /** A task printed `text` (called by its executor as it prints). */
  push(taskId: string, leaseToken: string, text: string): void {
    if (text.length === 0 || this.closed || this.refused.has(`${taskId}/${leaseToken}`)) return;
    let task = this.tasks.get(taskId);
    if (!task || task.leaseToken !== leaseToken) this.tasks.set(taskId, (task = { leaseToken, offset: 0, pending: [], pendingBytes: 0 }));
    const bytes = Buffer.from(text, 'utf8');
    task.pending.push(bytes);
    task.pendingBytes += bytes.length;
    while (task.pendingBytes > MAX_PENDING_BYTES && task.pending.length > 0) dropOldest(task);
    this.timer ??= setTimeout(() => this.tick(), SHIP_INTERVAL_MS);
  }

  /** The task ended: send what it printed last (bounded), then forget it. */
  async finish(taskId: string): Promise<void> {
    if (!this.tasks.has(taskId)) return;
    const bounded = new AbortController();
    try {
      await Promise.race([this.shipNow([taskId]), sleep(FINISH_BOUND_MS, bounded.signal)]);
    } finally {
      bounded.abort();
      this.tasks.delete(taskId);
      for (const key of this.refused) if (key.startsWith(`${taskId}/`)) this.refused.delete(key);
    }
  }

  /** Stopping: no more sends. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.tasks.clear();
  }

  private tick(): void {
    this.timer = undefined;
    void this.shipNow().finally(() => {
      if ([...this.tasks.values()].some((t) => t.pendingBytes > 0)) this.timer ??= setTimeout(() => this.tick(), SHIP_INTERVAL_MS);
    });
  }

  /** One request at a time: a send waits for the one in flight, so chunks of a task arrive in order. */
  private shipNow(only?: string[]): Promise<void> {
    const previous = this.shipping ?? Promise.resolve();
    const next = previous.then(() => this.send(only));
    this.shipping = next;
    return next;
  }

  private async send(only?: string[]): Promise<void> {
    for (;;) {
      const chunks: OutputChunk[] = [];
      let size = 0;
      for (const [taskId, task] of this.tasks) {
        if (only && !only.includes(taskId)) continue;
        if (task.pendingBytes === 0 || size >= MAX_REQUEST_BYTES) continue;
        const bytes = Buffer.concat(task.pending);
        const text = bytes.toString('utf8');
        chunks.push({ task_id: taskId, lease_token: task.leaseToken, offset: task.offset, text });
        task.offset += bytes.length;
        task.pending = [];
        task.pendingBytes = 0;
        size += bytes.length;
      }
      if (chunks.length === 0) return;
      try {
        const answer = await this.deps.client.postOutput(this.deps.credential, this.deps.endpointId, chunks);
        for (const taskId of answer.refused) {
          // Not this lease's any more (lost, handed on): stop taking and sending its output.
          const token = chunks.find((c) => c.task_id === taskId)?.lease_token;
          if (token) this.refused.add(`${taskId}/${token}`);
          this.tasks.delete(taskId);
        }
      } catch (error) {
        // Dropped, not retried: live output is a view, and the next chunk's offset says what is missing.
        this.deps.log.debug({ err: asError(error).message, tasks: chunks.length }, 'could not send live output; that part is dropped');
        return;
      }
      if (size < MAX_REQUEST_BYTES) return;
    }
  }
}

/** Drops the oldest pending bytes of a task, keeping the offset of what remains right. */
function dropOldest(task: TaskOutput): void {
  const first = task.pending[0];
  const excess = task.pendingBytes - MAX_PENDING_BYTES;
  if (first.length <= excess) {
    task.pending.shift();
    task.pendingBytes -= first.length;
    task.offset += first.length;
    return;
  }
  // Cut inside the first chunk, forward to a character boundary (never split a UTF-8 sequence).
  let cut = excess;
  while (cut < first.length && (first[cut] & 0xc0) === 0x80) cut += 1;
  task.pending[0] = first.subarray(cut);
  task.pendingBytes -= cut;
  task.offset += cut;
}
