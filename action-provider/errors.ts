/**
 * The Action Provider API's errors, in its spec's shape `{code, description}`.
 * The service's own errors (FunctionNotPermitted, EndpointAccessForbidden, ...)
 * keep their status and stable code when they surface through a run; the few
 * that mean "your request is bad" are renamed to the spec's names.
 */
import {
  FuncxError, MethodNotAllowed, RequestBodyTooLarge, RequestMalformed, RouteNotFound, StorageFull,
  UnsupportedMediaType, UserUnauthenticated, asError, isStorageFullError,
} from '../src/forParts.js';

export abstract class ActionProviderFailure extends Error {
  abstract readonly status: number;
  get code(): string {
    return this.constructor.name;
  }
}

/** 400: the request is not a JSON object at all. */
export class BadActionRequest extends ActionProviderFailure { readonly status = 400; }
/** 422: JSON, but not what the schema asks for; the description names the field. */
export class RequestValidationError extends ActionProviderFailure { readonly status = 422; }
export class UnauthorizedRequest extends ActionProviderFailure { readonly status = 401; }
export class ForbiddenRequest extends ActionProviderFailure { readonly status = 403; }
export class ActionNotFound extends ActionProviderFailure { readonly status = 404; }
export class ActionConflict extends ActionProviderFailure { readonly status = 409; }

export interface ActionErrorBody {
  code: string;
  description: string;
}

/** Any thrown value as (status, body); 5xx hide their internals behind the request id. */
export function toActionError(thrown: unknown, requestId: string): { status: number; body: ActionErrorBody; internal?: Error } {
  if (thrown instanceof ActionProviderFailure) return { status: thrown.status, body: { code: thrown.code, description: thrown.message } };
  if (thrown instanceof FuncxError) {
    const renamed =
      thrown instanceof RequestMalformed ? 'BadActionRequest'
      : thrown instanceof UserUnauthenticated ? 'UnauthorizedRequest'
      : thrown instanceof RouteNotFound ? 'NotFound'
      : thrown.code;
    if (thrown.expose) return { status: thrown.status, body: { code: renamed, description: thrown.message } };
    return { status: thrown.status, body: { code: 'ActionProviderError', description: `${thrown.message} (request ${requestId})` }, internal: thrown };
  }
  const error = asError(thrown) as Error & { status?: number; expose?: boolean };
  // Koa and the router throw plain HTTP errors (405, 413, ...): keep their status.
  if (error.status === 405 || error.status === 501) return toActionError(new MethodNotAllowed(error.message), requestId);
  if (error.status === 404) return toActionError(new RouteNotFound(error.message), requestId);
  if (error.status === 413) return toActionError(new RequestBodyTooLarge(error.message), requestId);
  if (error.status === 415) return toActionError(new UnsupportedMediaType(error.message), requestId);
  if (error.status && error.status >= 400 && error.status < 500 && error.expose) return toActionError(new RequestMalformed(error.message), requestId);
  // A write refused for space: the same answer (507, Retry-After) as the service's other routes.
  if (isStorageFullError(error)) return toActionError(new StorageFull('the database has no room to write (disk or table full); nothing was stored; try again once space is freed', { cause: error }), requestId);
  return { status: 500, body: { code: 'ActionProviderError', description: `internal error (request ${requestId})` }, internal: error };
}
