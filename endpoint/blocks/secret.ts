/**
 * The secret a worker manager proves it belongs to this endpoint with: random,
 * made once, kept in the endpoint folder with mode 0600 (compute nodes usually
 * share the login node's home; the manager reads it from there).
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

export function ensureManagerSecret(file: string): string {
  if (existsSync(file)) {
    // Tighten a loosened file rather than serve a secret others can read.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function secretsMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
