/** Reads a JSON request body up to the configured size, within the limits of inputLimits.ts; anything else is refused clearly. */
import { RequestBodyTooLarge, UnsupportedMediaType } from '../errors.js';
import { parseJsonBody } from './inputLimits.js';
import type { Middleware } from './context.js';

export function jsonBody(maxBytes: number): Middleware {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(ctx.method)) return next();
    const declared = Number(ctx.get('Content-Length') || 0);
    if (declared > maxBytes) throw new RequestBodyTooLarge(`request body of ${declared} bytes is over the ${maxBytes}-byte limit`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new RequestBodyTooLarge(`request body is over the ${maxBytes}-byte limit`);
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);
    ctx.state.rawBody = raw;
    if (raw.length === 0) {
      (ctx.request as { body?: unknown }).body = undefined;
      return next();
    }
    if (!ctx.is('application/json', '+json')) throw new UnsupportedMediaType('send the body as application/json');
    // UTF-8, nesting depth and syntax, all checked before anything walks the value (inputLimits.ts).
    (ctx.request as { body?: unknown }).body = parseJsonBody(raw);
    return next();
  };
}

export function bodyOf(ctx: { request: unknown }): unknown {
  return (ctx.request as { body?: unknown }).body;
}
