/** Hands every request the configured user authenticator and the rate limits (see authenticate.ts). */
import { localAuthenticator } from '../auth/userAuthenticator.js';
import { rateLimits } from './rateLimit.js';
import type { Middleware, ServiceDeps } from './context.js';

export function authContext(deps: ServiceDeps): Middleware {
  // oidc mode without its authenticator must never fall back to local tokens.
  if (deps.config.authMode !== 'local' && !deps.authenticator) throw new Error(`FUNCX_AUTH_MODE=${deps.config.authMode} needs its authenticator`);
  const authenticator = deps.authenticator ?? localAuthenticator(deps.db);
  const limits = rateLimits(deps.config, deps.db, { logger: deps.logger, shutdown: deps.shutdown, storage: deps.storage });
  return (ctx, next) => {
    ctx.state.authenticator = authenticator;
    ctx.state.limits = limits;
    return next();
  };
}
