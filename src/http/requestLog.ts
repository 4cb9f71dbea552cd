/** Gives each request an id (echoed as X-Request-Id) and a child logger, and logs its outcome and the address it came from. */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Middleware } from './context.js';

export function requestLog(logger: Logger): Middleware {
  // The request line's fields are fixed and none holds a secret (the path, never the query), so it
  // skips the redaction every other line gets: 22 paths, 11 of them wildcards, walked on each line
  // were a tenth of a small request's cost to the service (docs/benchmarks.md).
  const requestLines = logger.child({}, { redact: [] });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    // The TCP peer (a site's proxy, when the caller came through one), whatever trustProxy says
    // about ctx.ip; read now: a request refused mid-body may have lost its socket by the end.
    const remote = ctx.req.socket?.remoteAddress;
    const incoming = ctx.get('X-Request-Id');
    const reqId = /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = reqId;
    // The request's own logger is made when a handler first logs: most never do.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (log ??= logger.child({ reqId })), enumerable: true, configurable: true });
    ctx.set('X-Request-Id', reqId);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      requestLines.info({ reqId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10, remote }, 'request');
    }
  };
}
