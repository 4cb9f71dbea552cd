/**
 * What the service knows of a part mounted into it: the Action Provider API
 * (action-provider/) is one. The app mounts its middleware, the OpenAPI
 * document reads its error codes and route notes, and the maintenance loops
 * run its duties on their ticks; nothing else of the part is visible to the
 * service. The part in turn sees the service only through src/forParts.ts.
 * eslint.config.js holds both directions.
 */
import type Koa from 'koa';
import type { Knex } from 'knex';
import type { Logger } from './logger.js';
import type { Wakeups } from './wakeups.js';
import type { RequestState, ServiceDeps } from './http/context.js';
import type { Annotation } from './openapi/annotations.js';

/** The part's middleware; its router rides along so the route table (src/openapi/routeTable.ts) lists its routes. */
export type PartMiddleware = Koa.Middleware<RequestState> & { router: unknown; actionProviderPrefix: string };

/** What a maintenance duty may use; `log` is the maintenance loops' logger. */
export interface PartMaintenanceDeps {
  db: Knex;
  wakeups: Wakeups;
  log: Logger;
}

export interface ServicePart {
  /**
   * Middleware answering every request under the part's base path, itself included. It is mounted
   * after authentication and before the service's JSON body parser: it reads bodies itself, so that
   * even a body that is not JSON is refused in the part's own error shape.
   */
  mount(deps: ServiceDeps): PartMiddleware;
  /** Every error code the part answers with beyond the service's, and its HTTP status (the OpenAPI document's). */
  errorStatuses(): ReadonlyMap<string, number>;
  /** Its routes' OpenAPI notes, keyed "METHOD /template" relative to its base path ("POST /run"). */
  annotations: Readonly<Record<string, Annotation>>;
  /** Its duties on the service's maintenance ticks; a throw is logged and the tick runs again next time. */
  maintenance: {
    /** After each reap of expired leases. */
    afterReap(deps: PartMaintenanceDeps): Promise<void>;
    /** Before the ledger purges tasks past retention (what the part needs of them is read while they exist). */
    beforePurge(deps: PartMaintenanceDeps): Promise<void>;
    /** After that purge. */
    afterPurge(deps: PartMaintenanceDeps): Promise<void>;
  };
}
