/**
 * Live output of a task (GET /v3/tasks/{id}/output): one read from an offset, and following it
 * as an async iterator that long-polls for more and ends when the task has finished and all its
 * output is delivered. The service keeps the last 1 MiB per task; `dropped` says how many bytes
 * before the text were not kept.
 */
import type { TaskOutput as WireTaskOutput } from '@funcx-ts/shared/wire/task-output.js';
import type { HttpTransport } from './http.js';

/**
 * One read of a task's output (schemas/task-output.json): `text` from byte `offset` (past the
 * asked one when the bytes there were dropped), `next_offset` to ask from next, `dropped` bytes
 * not kept before it, `complete` once the task finished and all its output is delivered.
 */
export type TaskOutput = WireTaskOutput;

export interface OutputOptions {
  /** Start at this byte of the output stream (default 0: all that is kept). */
  offset?: number;
  /** Seconds each read may wait for new output (0 to 30; default 20). */
  waitS?: number;
  signal?: AbortSignal;
}

/** The longest a read may wait (task-output-query.json's maximum). */
const MAX_WAIT_S = 30;

export function readTaskOutput(http: HttpTransport, taskId: string, options: OutputOptions = {}): Promise<TaskOutput> {
  const waitS = Math.min(MAX_WAIT_S, Math.max(0, options.waitS ?? 0));
  return http.request('GET', `/v3/tasks/${taskId}/output`, {
    searchParams: { offset: options.offset ?? 0, wait: waitS },
    idempotent: true,
    timeoutMs: (waitS + 30) * 1000, // the service holds it up to `wait`; a margin for a slow answer
    signal: options.signal,
  });
}

/**
 * Yields each new piece of output as it arrives, until the task is complete (or `signal`
 * aborts). A piece with `skipped` > 0 follows bytes the service no longer kept.
 */
export async function* followTaskOutput(http: HttpTransport, taskId: string, options: OutputOptions = {}): AsyncGenerator<TaskOutput & { skipped: number }> {
  let offset = options.offset ?? 0;
  const waitS = options.waitS ?? 20;
  for (;;) {
    const piece = await readTaskOutput(http, taskId, { offset, waitS, signal: options.signal });
    if (piece.text.length > 0) yield { ...piece, skipped: Math.max(0, piece.offset - offset) };
    offset = piece.next_offset;
    // Each answer carries everything kept from offset to next_offset: once complete, nothing more comes.
    if (piece.complete) return;
  }
}
