/**
 * JWT access tokens, checked here without calling the provider (except for its
 * key set): signature by a key of the issuer's JWKS with an allowed asymmetric
 * algorithm (so no `none`, no HS256 "signed" with the public key), issuer,
 * audience, expiry, and that it is an access token: header typ `at+jwt` (RFC 9068;
 * `JWT` too when configured) and no `nonce`, so an ID token issued to a client
 * whose id is the audience does not pass. Token faults are 401; a key set that
 * cannot be fetched is 503.
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
  let typ: string | undefined;
  try {
    let protectedHeader: { typ?: string };
    ({ payload, protectedHeader } = await jwtVerify(token, issuer.keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: settings.algorithms,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'sub'],
    }));
    typ = protectedHeader.typ;
  } catch (error) {
    if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) {
      throw new UserUnauthenticated(`the access token was refused: ${describe(error)}`);
    }
    throw new IdentityProviderUnavailable('the identity provider\'s keys cannot be fetched; try again shortly', { cause: error });
  }
  const type = mediaType(typ);
  if (!(type === 'at+jwt' || (settings.acceptJwtTyp && type === 'jwt'))) {
    const accepted = settings.acceptJwtTyp ? 'at+jwt or JWT' : 'at+jwt';
    throw new UserUnauthenticated(`the access token was refused: its type (typ ${typ === undefined ? 'missing' : JSON.stringify(typ)}) is not an access token's (${accepted})`);
  }
  // An ID token carries the nonce of the login that asked for it; an access token never does.
  if (payload.nonce !== undefined) throw new UserUnauthenticated('the access token was refused: it carries a nonce, as an ID token does');
  return principalFromClaims(payload, settings);
}

/** `application/at+jwt` and `at+JWT` name the same type (RFC 7515 §4.1.9): compare lower-case, without the prefix. */
function mediaType(typ: string | undefined): string | undefined {
  return typ?.toLowerCase().replace(/^application\//, '');
}

function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is not acceptable (${error.reason})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its signature algorithm is not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'it is not signed by a key of the issuer';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  return 'it is malformed';
}
