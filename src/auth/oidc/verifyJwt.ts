/**
 * JWT access tokens, checked here without calling the provider (except for its
 * key set): signature by a key of the issuer's JWKS with an allowed asymmetric
 * algorithm (so no `none`, no HS256 "signed" with the public key), issuer,
 * audience, expiry. Token faults are 401; a key set that cannot be fetched is 503.
 */
import { errors, jwtVerify } from 'jose';
import { IdentityProviderUnavailable, UserUnauthenticated } from '../../errors.js';
import type { UserPrincipal } from '../principal.js';
import { principalFromClaims } from './claims.js';
import type { Issuer } from './issuer.js';
import type { OidcSettings } from './settings.js';

/** jose codes that mean "this token is bad", as opposed to "the provider could not be asked". */
const TOKEN_FAULTS = new Set([
  'ERR_JWT_EXPIRED', 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'ERR_JWT_INVALID', 'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** Seconds of clock difference with the provider tolerated on exp/nbf/iat. */
const CLOCK_TOLERANCE_S = 5;

/** A compact JWS: three base64url parts, the first a JSON header. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part, i) => (i === 2 ? /^[\w-]*$/ : /^[\w-]+$/).test(part))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}

export async function verifyJwtAccessToken(issuer: Issuer, token: string, settings: OidcSettings): Promise<UserPrincipal> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, issuer.keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: settings.algorithms,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) {
      throw new UserUnauthenticated(`the access token was refused: ${describe(error)}`);
    }
    throw new IdentityProviderUnavailable('the identity provider\'s keys cannot be fetched; try again shortly', { cause: error });
  }
  return principalFromClaims(payload, settings);
}

function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is not acceptable (${error.reason})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its signature algorithm is not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'it is not signed by a key of the issuer';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  return 'it is malformed';
}
