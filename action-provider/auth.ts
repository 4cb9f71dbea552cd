/**
 * The caller, from the service's own bearer tokens (local mode). Introspection
 * may be read without a token when visible_to includes public; every other
 * route needs one. A token that is sent must be valid, wherever it is sent.
 */
import type { Knex } from 'knex';
import { ENDPOINT_CREDENTIAL_PREFIX } from '../src/auth/secrets.js';
import { findUserByToken } from '../src/registry/tokens.js';
import type { UserPrincipal } from '../src/auth/principal.js';
import type { AppContext } from '../src/http/context.js';
import { UnauthorizedRequest } from './errors.js';

export async function optionalCaller(db: Knex, ctx: AppContext): Promise<UserPrincipal | undefined> {
  const header = ctx.get('Authorization');
  if (!header) return undefined;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!token) throw new UnauthorizedRequest('the Authorization header must be: Bearer <token>');
  const user = token.startsWith(ENDPOINT_CREDENTIAL_PREFIX) ? undefined : await findUserByToken(db, token);
  if (!user) throw new UnauthorizedRequest('the bearer token is unknown or revoked');
  return user;
}

export async function requireCaller(db: Knex, ctx: AppContext): Promise<UserPrincipal> {
  const user = await optionalCaller(db, ctx);
  if (!user) throw new UnauthorizedRequest('send a token: Authorization: Bearer <token>');
  return user;
}
