/**
 * The `json` serializer, the one the TypeScript SDK speaks: a payload is the
 * JSON text of {args, kwargs}; a result is the JSON text of the value.
 * (`pickle` payloads and results are for the Python SDK; a pickled result
 * reaching this SDK is reported, not guessed at.)
 */
import { InvalidArgument, RemoteException, ResultNotDecodable, TaskPending } from './errors.js';
import type { TaskRecord } from './types.js';

export function encodePayload(args: unknown[], kwargs: Record<string, unknown> = {}): string {
  try {
    return JSON.stringify({ args, kwargs });
  } catch (error) {
    throw new InvalidArgument(`arguments must be JSON-serializable: ${(error as Error).message}`);
  }
}

export function decodeResult(task: Pick<TaskRecord, 'task_id' | 'result' | 'result_serializer'>): unknown {
  const serializer = task.result_serializer ?? 'json';
  if (serializer !== 'json') {
    throw new ResultNotDecodable(`task ${task.task_id}: its result is serialized with ${serializer}, which the TypeScript SDK cannot read (the raw text is on the task record)`);
  }
  if (task.result === undefined) return undefined;
  try {
    return JSON.parse(task.result);
  } catch (error) {
    throw new ResultNotDecodable(`task ${task.task_id}: its result is not valid JSON: ${(error as Error).message}`);
  }
}

/** The value of a task: its result, TaskPending while it runs, or its remote exception (re-thrown). */
export function outcomeOf(task: TaskRecord): unknown {
  if (task.pending) throw new TaskPending(task.task_id, task.status);
  if (task.status === 'success') return decodeResult(task);
  throw new RemoteException(task.task_id, task.exception ?? { type: 'UnknownError', message: `task ended ${task.status} without an exception` });
}
