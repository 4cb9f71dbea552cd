/**
 * Principals, as the Actions API names them, mapped onto the service's callers:
 *   urn:globus:auth:identity:<id>  is the caller whose token's identity is <id>;
 *   urn:globus:groups:id:<group>   is every caller whose token lists <group>;
 *   all_authenticated_users        is any caller with a valid token;
 *   public                         is anyone, with or without a token.
 * Identities and groups are compared exactly (they are the service's own names).
 */
import type { UserPrincipal } from '../src/forParts.js';

export const IDENTITY_URN_PREFIX = 'urn:globus:auth:identity:';
export const GROUP_URN_PREFIX = 'urn:globus:groups:id:';
export const PUBLIC = 'public';
export const ALL_AUTHENTICATED_USERS = 'all_authenticated_users';

export function identityUrn(identity: string): string {
  return IDENTITY_URN_PREFIX + identity;
}

/** Every principal URN the caller answers to: its identity, then its groups. */
export function principalsOf(user: UserPrincipal): string[] {
  return [identityUrn(user.id), ...user.groups.map((group) => GROUP_URN_PREFIX + group)];
}

/** Whether the caller (undefined: no token) is among `allowed`. */
export function isAllowed(user: UserPrincipal | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes(PUBLIC)) return true;
  if (!user) return false;
  if (allowed.includes(ALL_AUTHENTICATED_USERS)) return true;
  const mine = principalsOf(user);
  return allowed.some((principal) => mine.includes(principal));
}
