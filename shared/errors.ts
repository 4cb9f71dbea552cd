/**
 * Every error the REST API can answer with. Each class carries its HTTP status
 * and a stable code name; clients (the SDKs) switch on `code`, never on `reason`.
 * Handlers only throw; `http/errorHandler.ts` turns these into responses.
 */
export abstract class FuncxError extends Error {
  abstract readonly status: number;
  /** Extra machine-readable context (e.g. which field failed validation). */
  readonly details?: unknown;

  constructor(reason: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(reason, { cause: options.cause });
    this.details = options.details;
  }

  /** The stable code: the class name, so the registry below cannot drift from it. */
  get code(): string {
    return this.constructor.name;
  }

  /** 4xx reasons are for the caller; 5xx reasons may hold internals and are replaced. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export class RequestMalformed extends FuncxError { readonly status = 400; }
export class InvalidUUID extends FuncxError { readonly status = 400; }
/** A task's resource_specification contradicts itself, or an mpi function's task has none. */
export class ResourceSpecificationInvalid extends FuncxError { readonly status = 400; }
/** A task listing's cursor is not one the service issued for that listing. */
export class InvalidCursor extends FuncxError { readonly status = 400; }
/** A task listing's since or until is neither an ISO 8601 time nor a duration. */
export class InvalidTimeBound extends FuncxError { readonly status = 400; }
export class UserUnauthenticated extends FuncxError { readonly status = 401; }
export class EndpointCredentialInvalid extends FuncxError { readonly status = 401; }
export class FunctionAccessForbidden extends FuncxError { readonly status = 403; }
export class EndpointAccessForbidden extends FuncxError { readonly status = 403; }
export class FunctionNotPermitted extends FuncxError { readonly status = 403; }
export class RouteNotFound extends FuncxError { readonly status = 404; }
export class FunctionNotFound extends FuncxError { readonly status = 404; }
export class EndpointNotFound extends FuncxError { readonly status = 404; }
export class TaskNotFound extends FuncxError { readonly status = 404; }
export class TaskGroupNotFound extends FuncxError { readonly status = 404; }
export class MethodNotAllowed extends FuncxError { readonly status = 405; }
export class IdempotencyKeyReused extends FuncxError { readonly status = 409; }
/** An upstream-SDK submit option (resource_specification, user_endpoint_config) or field (container_uuid) the service or endpoint cannot honour. */
export class UpstreamOptionUnsupported extends FuncxError { readonly status = 422; }
export class TaskAlreadyFinished extends FuncxError { readonly status = 409; }
export class TaskPayloadTooLarge extends FuncxError { readonly status = 413; }
export class BatchRunTooLarge extends FuncxError { readonly status = 413; }
export class RequestBodyTooLarge extends FuncxError { readonly status = 413; }
export class UnsupportedMediaType extends FuncxError { readonly status = 415; }
export class TooManyRequests extends FuncxError {
  readonly status = 429;
  /** Seconds until the caller's budget has room again (sent as Retry-After). */
  readonly retryAfterS: number;
  constructor(reason: string, retryAfterS: number) {
    super(reason);
    this.retryAfterS = retryAfterS;
  }
}
export class InternalError extends FuncxError { readonly status = 500; }
export class DatabaseUnavailable extends FuncxError { readonly status = 503; }
/**
 * A write refused because the database's disk (or a table) is full: nothing was stored, and
 * the same request may pass once space is freed. Reads keep answering meanwhile. Sent with Retry-After.
 */
export class StorageFull extends FuncxError {
  readonly status = 507;
  override get expose(): boolean { return true; }
}
export class IdentityProviderUnavailable extends FuncxError { readonly status = 503; }
/** GET /v2/get_amqp_result_connection_url on a service without FUNCX_AMQP_URL: a setup fact, so the reason is shown. */
export class AmqpNotConfigured extends FuncxError {
  readonly status = 501;
  override get expose(): boolean { return true; }
}

/**
 * Every error the API may answer with, by its code. The shorthand keys are the classes' own
 * names, so each code is written once in the tree; the SDK and the endpoint refer to codes
 * through `ErrorCode` (a bundler that renames a class keeps these keys).
 */
export const ERROR_CLASSES = {
  RequestMalformed, InvalidUUID, ResourceSpecificationInvalid, UserUnauthenticated, EndpointCredentialInvalid,
  FunctionAccessForbidden, EndpointAccessForbidden, FunctionNotPermitted, RouteNotFound,
  FunctionNotFound, EndpointNotFound, TaskNotFound, TaskGroupNotFound, MethodNotAllowed,
  IdempotencyKeyReused, TaskAlreadyFinished, TaskPayloadTooLarge, BatchRunTooLarge,
  RequestBodyTooLarge, UnsupportedMediaType, InternalError, DatabaseUnavailable,
  TooManyRequests, IdentityProviderUnavailable, UpstreamOptionUnsupported, AmqpNotConfigured,
  InvalidCursor, InvalidTimeBound, StorageFull,
} as const;

/** A stable code the API may answer with (`TaskNotFound`, `StorageFull`, ...). */
export type ErrorCode = keyof typeof ERROR_CLASSES;

/** Every code the API may answer with, for documentation and for the SDKs' tests. */
export const ERROR_CODES = Object.keys(ERROR_CLASSES) as ErrorCode[];

/** Each code by name, for code that compares a code without needing its class: `ErrorCode.StorageFull`. */
export const ErrorCode = Object.freeze(Object.fromEntries(ERROR_CODES.map((code) => [code, code]))) as { readonly [Code in ErrorCode]: Code };

/** Configuration that cannot start the service: one line per bad value. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** A `catch (e)` receives unknown; every catch starts by coercing it. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
