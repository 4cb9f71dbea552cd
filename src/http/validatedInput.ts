/** Route steps that check the body or query against a schema in schemas/ before the handler runs (the Validator: validation.ts), and the readers of what they checked. */
import type { Validator } from './validation.js';
import type { AppContext, Middleware } from './context.js';
import { bodyOf } from './jsonBody.js';
import { strictQuery } from './inputLimits.js';
import { marked } from '../openapi/routeMarks.js';

export function validBody(validator: Validator, schemaId: string): Middleware {
  return marked<Middleware>((ctx, next) => {
    (ctx.state as { body?: unknown }).body = validator.check(schemaId, bodyOf(ctx) ?? {}, 'body');
    return next();
  }, { body: schemaId });
}

export function validQuery(validator: Validator, schemaId: string): Middleware {
  return marked<Middleware>((ctx, next) => {
    (ctx.state as { query?: unknown }).query = validator.check(schemaId, strictQuery(validator.schemaOf(schemaId), ctx.query), 'query');
    return next();
  }, { query: schemaId });
}

export function bodyIn<T>(ctx: AppContext): T {
  return (ctx.state as { body?: unknown }).body as T;
}

export function queryIn<T>(ctx: AppContext): T {
  return (ctx.state as { query?: unknown }).query as T;
}
