/**
 * From verified token claims (a JWT's payload or an introspection answer) to a
 * user: identity is `sub`; the required scopes must all be present; groups
 * come from the configured claim. Anything missing is a 401, never a default.
 */
import { UserUnauthenticated } from '../../errors.js';
import type { UserPrincipal } from '../principal.js';
import type { OidcSettings } from './settings.js';

/** Column sizes in the ledger (owner/submitter 256, group ids 128). */
const MAX_IDENTITY_LENGTH = 256;
const MAX_GROUP_LENGTH = 128;

export function principalFromClaims(claims: Record<string, unknown>, settings: OidcSettings): UserPrincipal {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new UserUnauthenticated('the access token names no subject (sub)');
  if (sub.length > MAX_IDENTITY_LENGTH) throw new UserUnauthenticated(`the access token's subject is longer than ${MAX_IDENTITY_LENGTH} characters`);
  const granted = scopesOf(claims);
  const missing = settings.requiredScopes.filter((scope) => !granted.has(scope));
  if (missing.length > 0) throw new UserUnauthenticated(`the access token lacks the required scope ${missing.join(' ')}`);
  return { kind: 'user', id: sub, groups: groupsOf(claims, settings.groupsClaim), claims: stringClaims(claims) };
}

/** The token's short top-level string claims (preferred_username, email, ...): what identity mapping may match on. */
function stringClaims(claims: Record<string, unknown>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === 'string' && name.length <= 64 && value.length <= MAX_IDENTITY_LENGTH) picked[name] = value;
  }
  return picked;
}

/** `scope` is a space-separated string (RFC 6749/9068); some providers send `scp` as an array. */
function scopesOf(claims: Record<string, unknown>): Set<string> {
  const scopes = new Set<string>();
  if (typeof claims.scope === 'string') for (const scope of claims.scope.split(' ')) if (scope) scopes.add(scope);
  if (Array.isArray(claims.scp)) for (const scope of claims.scp) if (typeof scope === 'string') scopes.add(scope);
  return scopes;
}

/** A dotted path (e.g. realm_access.roles) to an array of strings or a single string. */
function groupsOf(claims: Record<string, unknown>, path: string): string[] {
  let value: unknown = claims;
  for (const key of path.split('.')) {
    value = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  }
  const listed = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const groups = listed.filter((group): group is string => typeof group === 'string' && group.length > 0 && group.length <= MAX_GROUP_LENGTH);
  return [...new Set(groups)];
}

/** `aud` is a string or an array of strings. */
export function audienceIncludes(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
