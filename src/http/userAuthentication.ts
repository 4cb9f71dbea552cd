/** Hands every request the configured user authenticator (see requireUser). */
import { localAuthenticator } from '../auth/userAuthenticator.js';
import type { Middleware, ServiceDeps } from './context.js';

export function userAuthentication(deps: ServiceDeps): Middleware {
  // oidc mode without its authenticator must never fall back to local tokens.
  if (deps.config.authMode !== 'local' && !deps.authenticator) throw new Error(`FUNCX_AUTH_MODE=${deps.config.authMode} needs its authenticator`);
  const authenticator = deps.authenticator ?? localAuthenticator(deps.db);
  return (ctx, next) => {
    ctx.state.authenticator = authenticator;
    return next();
  };
}
