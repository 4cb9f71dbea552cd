/**
 * The token `funcx login` stores: $FUNCX_HOME/credentials.json (FUNCX_HOME
 * defaults to ~/.funcx), mode 0600 in a 0700 folder, written to a temp file
 * and renamed so a reader never sees half of it. config.ts reads it; a stored
 * OpenID Connect login rewrites it the same way when it renews its token.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { credentialsPath, type StoredCredentials } from './config.js';

export function storeCredentials(credentials: StoredCredentials, env: Record<string, string | undefined> = process.env): string {
  const file = credentialsPath(env);
  writeCredentialsFile(file, credentials);
  return file;
}

export function writeCredentialsFile(file: string, credentials: StoredCredentials): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Unique per writer: two clients renewing at once must not share a temp file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600); // the mode above is masked by the umask; this is not
  renameSync(temp, file);
}
