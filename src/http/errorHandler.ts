/**
 * The one place errors become responses: `{code, reason, http_status_code}`.
 * 4xx are logged at info; 5xx at error with the stack, and their internals are
 * not shown to the caller (who gets the request id to report instead).
 */
import { DatabaseUnavailable, FuncxError, IdentityProviderUnavailable, TooManyRequests, UserUnauthenticated, InternalError, MethodNotAllowed, RequestBodyTooLarge, RequestMalformed, RouteNotFound, asError } from '../errors.js';
import type { Middleware } from './context.js';

export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    } catch (thrown) {
      const error = toFuncxError(thrown, ctx.method, ctx.path);
      if (error.status >= 500) ctx.state.log?.error({ err: asError(thrown), code: error.code }, 'request failed');
      else ctx.state.log?.info({ code: error.code, reason: error.message }, 'request refused');
      ctx.status = error.status;
      const reason = error.expose ? error.message : `${error.message} (request ${ctx.state.requestId})`;
      if (error instanceof DatabaseUnavailable || error instanceof IdentityProviderUnavailable) ctx.set('Retry-After', '5');
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
  if (thrown instanceof FuncxError) return thrown;
  const error = asError(thrown) as Error & { status?: number; code?: string; expose?: boolean };
  if (error.status === 405 || error.status === 501) return new MethodNotAllowed(`${method} is not allowed on ${path}`);
  if (error.status === 404) return new RouteNotFound(`no route for ${method} ${path}`);
  if (error.status === 413) return new RequestBodyTooLarge(error.message);
  if (error.status && error.status >= 400 && error.status < 500 && error.expose) return new RequestMalformed(error.message);
  if ((error.code && DB_DOWN_CODES.has(error.code)) || /Timeout acquiring a connection/.test(error.message)) {
    return new DatabaseUnavailable('the database is unavailable; try again shortly', { cause: error });
  }
  return new InternalError('internal error', { cause: error });
}
