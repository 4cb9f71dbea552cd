/** Path parameters that must be UUIDs are checked before anything touches the database. */
import { InvalidUUID } from '../errors.js';
import type { Middleware } from './context.js';
import { marked } from '../openapi/routeMarks.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function uuidParams(...names: string[]): Middleware {
  return marked<Middleware>((ctx, next) => {
    for (const name of names) {
      const value = ctx.params[name];
      if (value === undefined || !isUuid(value)) throw new InvalidUUID(`${name} "${value}" is not a UUID`);
      ctx.params[name] = value.toLowerCase();
    }
    return next();
  }, { uuidParams: names });
}
