/**
 * `oidc` mode: the service as an OAuth 2 resource server. A JWT access token
 * is verified locally; anything else is introspected (and cached briefly).
 */
import type { Logger } from '../../logger.js';
import { UserUnauthenticated } from '../../errors.js';
import { USER_TOKEN_PREFIX } from '../secrets.js';
import type { UserAuthenticator } from '../userAuthenticator.js';
import { IntrospectionCache } from './tokenCache.js';
import { introspectToken } from './introspect.js';
import { IssuerConnection } from './issuer.js';
import type { OidcSettings } from './settings.js';
import { looksLikeJwt, verifyJwtAccessToken } from './verifyJwt.js';

export function oidcAuthenticator(settings: OidcSettings, logger: Logger): UserAuthenticator {
  const connection = new IssuerConnection(settings, logger);
  const cache = new IntrospectionCache(settings.introspectionCacheTtlMs);
  return {
    async authenticate(token) {
      // The service's own local tokens mean nothing here, and are not the provider's business.
      if (token.startsWith(USER_TOKEN_PREFIX)) throw new UserUnauthenticated('local API tokens are not accepted in oidc mode; use an access token from the identity provider');
      if (looksLikeJwt(token)) return verifyJwtAccessToken(await connection.issuer(), token, settings);
      return cache.lookup(token, async () => introspectToken(await connection.issuer(), token, settings));
    },
  };
}
