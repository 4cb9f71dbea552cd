/**
 * FUNCX_HOME and the SQLite database hold function sources, payloads, results and token
 * hashes: only their owner may read them. Folders are created 0700 and database files 0600
 * (SQLite creates its -wal and -shm files with the database file's mode). A database file
 * an older version left readable by others is tightened, since it is the service's own.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) {
    closeSync(openSync(file, 'a', 0o600));
    return;
  }
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(name) && (statSync(name).mode & 0o077) !== 0) chmodSync(name, 0o600);
  }
}
