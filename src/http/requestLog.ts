/** Gives each request an id (echoed as X-Request-Id) and a child logger, and logs its outcome and the address it came from. */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Middleware } from './context.js';

export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    // The TCP peer (a site's proxy, when the caller came through one), whatever trustProxy says
    // about ctx.ip; read now: a request refused mid-body may have lost its socket by the end.
    const remote = ctx.req.socket?.remoteAddress;
    const incoming = ctx.get('X-Request-Id');
    ctx.state.requestId = /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.log = logger.child({ reqId: ctx.state.requestId });
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10, remote }, 'request');
    }
  };
}
