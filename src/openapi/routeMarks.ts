/**
 * Marks that route steps carry so the route table can be read back for the
 * OpenAPI document (src/openapi/routeTable.ts): which schema checks the body or
 * query, which credential the route takes, which path parameters are UUIDs.
 * The step itself is unchanged; the mark is a property on the function.
 */
export interface RouteMark {
  body?: string;
  query?: string;
  auth?: 'user' | 'endpoint';
  uuidParams?: string[];
}

const MARK = Symbol.for('funcx.openapi.mark');

export function marked<F extends object>(step: F, mark: RouteMark): F {
  return Object.assign(step, { [MARK]: mark });
}

export function markOf(step: unknown): RouteMark | undefined {
  return (step as { [MARK]?: RouteMark } | null)?.[MARK];
}
