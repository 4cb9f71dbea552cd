/**
 * An error answer of the service as the SDK's typed error: the class named by the answer's
 * code (errors.ts). The codes are the service's catalogue, not a list of the SDK's own.
 */
import { ERROR_CODES, type ErrorCode } from '@funcx-ts/shared/errors.js';
import * as errors from './errors.js';
import { ServiceError, type ServiceErrorBody } from './errors.js';

/** errors.ts's class of each code: this assignment fails to compile while a code has none. */
const SERVICE_ERRORS: { readonly [Code in ErrorCode]: typeof ServiceError } = errors;
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** The service's code names the SDK has a class for. */
export const SERVICE_ERROR_CODES: readonly string[] = ERROR_CODES;

/** The typed error for an error answer (a ServiceError for an unknown code or a body that is not the error shape). */
export function serviceError(status: number, body: unknown, requestId?: string): ServiceError {
  const shaped = isErrorBody(body) ? body : { code: `HTTP${status}`, reason: typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${status}` };
  // Only the catalogue's codes: errors.ts exports other names (FuncxError, TaskPending, ...) that no answer may pick.
  const ErrorClass = KNOWN_CODES.has(shaped.code) ? SERVICE_ERRORS[shaped.code as ErrorCode] : ServiceError;
  return new ErrorClass(status, shaped, requestId);
}

function isErrorBody(body: unknown): body is ServiceErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ServiceErrorBody).code === 'string' && typeof (body as ServiceErrorBody).reason === 'string';
}
