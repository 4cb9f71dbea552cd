/**
 * The token `funcx login` stores: $FUNCX_HOME/credentials.json (FUNCX_HOME
 * defaults to ~/.funcx), mode 0600 in a 0700 folder, written to a temp file
 * and renamed so a reader never sees half of it. config.ts reads it.
 */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { credentialsPath, type StoredCredentials } from './config.js';

export function storeCredentials(credentials: StoredCredentials, env: Record<string, string | undefined> = process.env): string {
  const file = credentialsPath(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600); // the mode above is masked by the umask; this is not
  renameSync(temp, file);
  return file;
}
