/**
 * Turns a bearer token into a user: local API tokens in `local` mode, the
 * identity provider's access tokens in `oidc` mode. Refusals throw
 * UserUnauthenticated (401); a provider that cannot be asked throws
 * IdentityProviderUnavailable (503) — never a silent pass.
 */
import type { Knex } from 'knex';
import { UserUnauthenticated } from '../errors.js';
import { findUserByToken } from '../registry/tokens.js';
import type { UserPrincipal } from './principal.js';

export interface UserAuthenticator {
  authenticate(token: string): Promise<UserPrincipal>;
}

export function localAuthenticator(db: Knex): UserAuthenticator {
  return {
    async authenticate(token) {
      const user = await findUserByToken(db, token);
      if (!user) throw new UserUnauthenticated('the API token is unknown, revoked or expired');
      return user;
    },
  };
}
