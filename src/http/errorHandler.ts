/**
 * The one place errors become responses: `{code, reason, http_status_code}`.
 * 4xx are logged at info; 5xx at error with the stack, and their internals are
 * not shown to the caller (who gets the request id to report instead).
 */
import { DatabaseUnavailable, FuncxError, IdentityProviderUnavailable, StorageFull, TooManyRequests, UserUnauthenticated, InternalError, MethodNotAllowed, RequestBodyTooLarge, RequestMalformed, RouteNotFound, asError } from '../errors.js';
import { isStatementTimeout, isStorageFullError } from '../db/storageFull.js';
import type { StorageMonitor } from '../db/storageMonitor.js';
import type { Middleware } from './context.js';

/** Seconds a client is asked to wait after StorageFull: freeing a disk takes an operator. */
export const STORAGE_FULL_RETRY_AFTER_S = 10;

export function errorHandler(options: { storage?: StorageMonitor } = {}): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    } catch (thrown) {
      const error = toFuncxError(thrown, ctx.method, ctx.path);
      if (error instanceof StorageFull) {
        // Logged at error once per episode by the monitor, not once per request.
        options.storage?.noteFull(error.cause ?? error);
        ctx.state.log?.info({ code: error.code, reason: error.message }, 'request refused: no room to write');
      } else if (error.status >= 500) ctx.state.log?.error({ err: asError(thrown), code: error.code }, 'request failed');
      else ctx.state.log?.info({ code: error.code, reason: error.message }, 'request refused');
      ctx.status = error.status;
      const reason = error.expose ? error.message : `${error.message} (request ${ctx.state.requestId})`;
      if (error instanceof DatabaseUnavailable || error instanceof IdentityProviderUnavailable) ctx.set('Retry-After', '5');
      if (error instanceof StorageFull) ctx.set('Retry-After', String(STORAGE_FULL_RETRY_AFTER_S));
      if (error instanceof TooManyRequests) ctx.set('Retry-After', String(error.retryAfterS));
      if (error instanceof UserUnauthenticated) ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      ctx.body = {
        code: error.code,
        reason,
        http_status_code: error.status,
        // The Globus SDK (upstream funcX / Globus Compute clients) shows `message`, not `reason`.
        ...(fromGlobusSdk(ctx.get('User-Agent')) ? { message: reason } : {}),
        ...(error.details !== undefined && error.expose ? { details: error.details } : {}),
      };
    }
  };
}

/** The Globus SDK's transport names itself first in its User-Agent (globus-sdk-py-3.65.0/...). */
function fromGlobusSdk(userAgent: string): boolean {
  return userAgent.startsWith('globus-sdk-py-');
}

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'EPIPE', 'ER_CON_COUNT_ERROR']);

function toFuncxError(thrown: unknown, method: string, path: string): FuncxError {
  // An internal error caused by a full disk is that, whoever wrapped it.
  if (thrown instanceof FuncxError && !(thrown.status >= 500 && isStorageFullError(thrown.cause))) return thrown;
  const error = asError(thrown instanceof FuncxError ? thrown.cause : thrown) as Error & { status?: number; code?: string; expose?: boolean };
  if (error.status === 405 || error.status === 501) return new MethodNotAllowed(`${method} is not allowed on ${path}`);
  if (error.status === 404) return new RouteNotFound(`no route for ${method} ${path}`);
  if (error.status === 413) return new RequestBodyTooLarge(error.message);
  if (error.status && error.status >= 400 && error.status < 500 && error.expose) return new RequestMalformed(error.message);
  if (isStorageFullError(error)) {
    return new StorageFull('the database has no room to write (disk or table full); nothing was stored; try again once space is freed', { cause: error });
  }
  // MariaDB may wait for disk space instead of failing; the session's statement time limit ends the wait.
  if (isStatementTimeout(error)) {
    return new DatabaseUnavailable('the database did not finish in time (it may be waiting for disk space); try again shortly', { cause: error });
  }
  if ((error.code && DB_DOWN_CODES.has(error.code)) || /Timeout acquiring a connection/.test(error.message)) {
    return new DatabaseUnavailable('the database is unavailable; try again shortly', { cause: error });
  }
  return new InternalError('internal error', { cause: error });
}
