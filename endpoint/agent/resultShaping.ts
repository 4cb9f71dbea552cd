/**
 * The rules that turn what a task produced into a result the service accepts: pure (no I/O,
 * no logging), so each rule is tested alone (test/endpoint/result-shaping.test.ts).
 *
 * One result the service refuses would hold up every result posted with it, so what comes from
 * user code (an exception's type and message, a result's size) is made acceptable here, and a
 * result the service still refuses becomes a failure it records instead.
 */
import type { PostedResult } from '../client.js';
import type { SpooledResult } from '../spool.js';
import type { RemoteException, TaskOutcome } from '../execution.js';
import type { LeasedTask } from './heldTasks.js';

/** schemas/endpoint-results.json: exception.type is at most this many characters. */
export const EXCEPTION_TYPE_MAX = 256;

/** The exception type a result refused as malformed is reported as. */
export const RESULT_INVALID = 'ResultInvalid';

/** The result of one attempt, as posted (and spooled). */
export function toPosted(lease: LeasedTask, outcome: TaskOutcome): SpooledResult {
  const base = { task_id: lease.task_id, lease_token: lease.lease_token, attempt: lease.attempt };
  if (outcome.status === 'success') return { ...base, status: 'success', result: outcome.result, result_serializer: outcome.resultSerializer };
  return { ...base, status: 'failed', exception: acceptableException(outcome.exception), ...(outcome.retry ? { retry: true } : {}) };
}

/** The bytes the service counts against its result limit: the result, or the serialized exception. */
export function resultBytes(result: SpooledResult): number {
  return Buffer.byteLength(result.result ?? '') + Buffer.byteLength(result.exception?.serialized ?? '');
}

/** The same task, lease and attempt, failed with `exception` instead. */
function failedInstead(result: SpooledResult, exception: RemoteException): SpooledResult {
  return { task_id: result.task_id, lease_token: result.lease_token, attempt: result.attempt, status: 'failed', exception };
}

/**
 * A result over max_result_bytes (`limit`) becomes the TaskResultTooLarge failure before it is
 * spooled or sent; `tooLarge` is its size then (for the log), else undefined.
 */
export function withinSizeLimit(result: SpooledResult, limit: number, endpointName: string): { result: SpooledResult; tooLarge?: number } {
  const size = resultBytes(result);
  if (size <= limit) return { result };
  return {
    result: failedInstead(result, {
      type: 'TaskResultTooLarge',
      message: `the task's result is ${size} bytes; endpoint ${endpointName} reports results up to ${limit} bytes (max_result_bytes)`,
    }),
    tooLarge: size,
  };
}

/** A result the service refused alone as too large a request (413): the failure it would have recorded. */
export function tooLargeForService(result: SpooledResult): { result: SpooledResult; bytes: number } {
  const bytes = Buffer.byteLength(JSON.stringify(result));
  return {
    result: failedInstead(result, { type: 'TaskResultTooLarge', message: `the task's result is about ${bytes} bytes, more than the service accepts in one request` }),
    bytes,
  };
}

/**
 * A result the service refused alone as malformed (400) becomes a ResultInvalid failure; undefined
 * when it already is one (then not its content but its identity is refused: nothing to post).
 */
export function invalidInstead(result: SpooledResult, refusal: string): SpooledResult | undefined {
  if (result.status === 'failed' && result.exception?.type === RESULT_INVALID) return undefined;
  return failedInstead(result, { type: RESULT_INVALID, message: `the endpoint produced a result the service refused: ${refusal}` });
}

/**
 * An exception as the results schema accepts it. Its fields come from user code
 * (a Python class name can be any length, a JS error's name any value), and one
 * result the service refuses would hold up every result posted with it.
 */
export function acceptableException(raw: unknown): RemoteException {
  const fields = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const type = Array.from(textOf(fields.type)).slice(0, EXCEPTION_TYPE_MAX).join('') || 'Exception';
  const exception: RemoteException = { type, message: textOf(fields.message) };
  if (typeof fields.traceback === 'string') exception.traceback = fields.traceback;
  if (typeof fields.serialized === 'string') exception.serialized = fields.serialized;
  return exception;
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

/** A spooled result (perhaps from an older version) made acceptable where it can be. */
export function acceptableResult(result: SpooledResult): SpooledResult {
  return result.status === 'failed' && result.exception ? { ...result, exception: acceptableException(result.exception) } : result;
}

/** What is posted: the spooled result without the attempt (the agent's own bookkeeping). */
export function stripAttempt({ attempt: _attempt, ...posted }: SpooledResult): PostedResult {
  return posted;
}
