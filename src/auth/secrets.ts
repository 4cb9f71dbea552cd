/**
 * API tokens and endpoint credentials: random, shown once, stored as SHA-256.
 * A prefix tells the two apart at a glance (and in leaked-secret scanners).
 */
import { createHash, randomBytes } from 'node:crypto';

export const USER_TOKEN_PREFIX = 'fxu_';
export const ENDPOINT_CREDENTIAL_PREFIX = 'fxe_';

export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** High-entropy secrets need no slow hash: SHA-256 makes the stored value useless to a thief. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
