/**
 * Opaque access tokens: RFC 7662 introspection with the service's client
 * credentials. Active, for our audience, from our issuer, not expired — or 401.
 * A provider that does not answer properly is a 503: fail closed.
 */
import * as oidc from 'openid-client';
import { IdentityProviderUnavailable, UserUnauthenticated } from '../../errors.js';
import type { UserPrincipal } from '../principal.js';
import { audienceIncludes, principalFromClaims } from './claims.js';
import type { Issuer } from './issuer.js';
import type { OidcSettings } from './settings.js';

export async function introspectToken(issuer: Issuer, token: string, settings: OidcSettings): Promise<{ principal: UserPrincipal; expMs?: number }> {
  let answer: oidc.IntrospectionResponse;
  try {
    answer = await oidc.tokenIntrospection(issuer.configuration, token, { token_type_hint: 'access_token' });
  } catch (error) {
    throw new IdentityProviderUnavailable('the identity provider did not answer the token introspection; try again shortly', { cause: error });
  }
  if (answer.active !== true) throw new UserUnauthenticated('the access token is not active (expired, revoked or unknown)');
  if (answer.token_type !== undefined && /refresh/i.test(answer.token_type)) throw new UserUnauthenticated('a refresh token is not an access token');
  if (!audienceIncludes(answer.aud, settings.audience)) throw new UserUnauthenticated(`the access token is not for this service (audience ${settings.audience})`);
  if (answer.iss !== undefined && answer.iss !== settings.issuer) throw new UserUnauthenticated('the access token is from another issuer');
  const expMs = typeof answer.exp === 'number' ? answer.exp * 1000 : undefined;
  if (expMs !== undefined && expMs <= Date.now()) throw new UserUnauthenticated('the access token has expired');
  return { principal: principalFromClaims(answer as Record<string, unknown>, settings), expMs };
}
