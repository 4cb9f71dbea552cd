/**
 * The caller, from a bearer token checked as on every user route (local API
 * tokens, or the OpenID provider's access tokens in oidc mode; rate limits
 * included). Introspection may be read without a token when visible_to
 * includes public; every other route needs one. A token that is sent must be valid, wherever it is sent.
 */
import type { Knex } from 'knex';
import { ENDPOINT_CREDENTIAL_PREFIX, UserUnauthenticated, authenticateUserToken } from '../src/forParts.js';
import type { UserPrincipal, AppContext } from '../src/forParts.js';
import { UnauthorizedRequest } from './errors.js';

export async function optionalCaller(_db: Knex, ctx: AppContext): Promise<UserPrincipal | undefined> {
  const header = ctx.get('Authorization');
  if (!header) return undefined;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!token) throw new UnauthorizedRequest('the Authorization header must be: Bearer <token>');
  if (token.startsWith(ENDPOINT_CREDENTIAL_PREFIX)) throw new UnauthorizedRequest('the bearer token is unknown or revoked');
  try {
    return await authenticateUserToken(ctx, token);
  } catch (error) {
    if (error instanceof UserUnauthenticated) throw new UnauthorizedRequest(error.message);
    throw error;
  }
}

export async function requireCaller(db: Knex, ctx: AppContext): Promise<UserPrincipal> {
  const user = await optionalCaller(db, ctx);
  if (!user) throw new UnauthorizedRequest('send a token: Authorization: Bearer <token>');
  return user;
}
