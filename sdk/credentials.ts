/**
 * The token `funcx login` stores: $FUNCX_HOME/credentials.json (FUNCX_HOME
 * defaults to ~/.funcx), mode 0600 in a 0700 folder, written to a temp file
 * synced and renamed so a reader never sees half of it (@funcx-ts/shared/atomicFile.ts, the
 * endpoint's and the service's writer too). config.ts reads it; a stored OpenID Connect login
 * rewrites it the same way when it renews its token.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '@funcx-ts/shared/atomicFile.js';
import { credentialsPath, type StoredCredentials } from './config.js';

export function storeCredentials(credentials: StoredCredentials, env: Record<string, string | undefined> = process.env): string {
  const file = credentialsPath(env);
  writeCredentialsFile(file, credentials);
  return file;
}

export function writeCredentialsFile(file: string, credentials: StoredCredentials): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomically(file, JSON.stringify(credentials, null, 2) + '\n', 0o600);
}
