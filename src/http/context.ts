/** What every route handler can reach: the service's parts, and per request the caller. */
import type { ResultQueues } from '../upstream/amqp/resultQueues.js';
import type Koa from 'koa';
import type { Knex } from 'knex';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Wakeups } from '../wakeups.js';
import type { Validator } from './validation.js';
import type { UserAuthenticator } from '../auth/userAuthenticator.js';
import type { RateLimits } from './rateLimit.js';
import type { ServiceMetrics } from '../metrics/serviceMetrics.js';
import type { StorageMonitor } from '../db/storageMonitor.js';
import type { EndpointPrincipal, UserPrincipal } from '../auth/principal.js';

export interface ServiceDeps {
  config: Config;
  db: Knex;
  logger: Logger;
  wakeups: Wakeups;
  validator: Validator;
  /** Aborted when the service stops, so long-polls answer at once. */
  shutdown: AbortSignal;
  /** Results over AMQP for the upstream Executor, when FUNCX_AMQP_URL is set. */
  resultQueues?: ResultQueues;
  /** Who users are (FUNCX_AUTH_MODE); local API tokens when absent. */
  authenticator?: UserAuthenticator;
  /** Prometheus metrics (src/metrics/); hooks are skipped when absent. */
  metrics?: ServiceMetrics;
  /** Whether the database has room to write (src/db/storageMonitor.ts); createApp makes one when absent. */
  storage?: StorageMonitor;
}

export interface RequestState {
  requestId: string;
  log: Logger;
  user?: UserPrincipal;
  /** Set for every request by createApp; requireUser asks it. */
  authenticator?: UserAuthenticator;
  /** Request budgets per identity and per address (set by createApp). */
  limits?: RateLimits;
  endpoint?: EndpointPrincipal;
  /**
   * A lease poll's or results post's charge to its endpoint's request budget, spent only when the
   * request moved no task (requireEndpointCredential's 'when-idle').
   */
  chargeIfIdle?: () => Promise<void>;
  /** The request body as received, for idempotency hashing. */
  rawBody?: Buffer;
}

export type AppContext = Koa.ParameterizedContext<RequestState> & { params: Record<string, string> };
export type Middleware = (ctx: AppContext, next: Koa.Next) => Promise<unknown> | unknown;
