/**
 * FUNCX_HOME holds function sources, payloads and results: the service creates it 0700, the
 * SQLite database (and its WAL) 0600, and quickstart.json 0600; a database file an older
 * version left world-readable is tightened. (The test runner's umask is 022: without this care
 * the folder would be 0755 and the files 0644.)
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';

const mode = (file: string) => statSync(file).mode & 0o777;

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-private-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a new FUNCX_HOME is 0700, its SQLite files and quickstart.json 0600', async (t) => {
  const home = path.join(tempDir(t), 'new', '.funcx');
  const config = loadConfig({}, { port: 0, home, logLevel: 'silent' });
  const service = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => service.close());
  t.is(mode(home), 0o700);
  t.is(mode(path.join(home, 'funcx.sqlite3')), 0o600);
  t.true(existsSync(path.join(home, 'funcx.sqlite3-wal')));
  t.is(mode(path.join(home, 'funcx.sqlite3-wal')), 0o600);
  t.is(mode(service.quickstart!.file), 0o600);
});

test('a database file left readable by others is made 0600 at start', async (t) => {
  const home = path.join(tempDir(t), 'old');
  mkdirSync(home, { mode: 0o755 });
  const database = path.join(home, 'funcx.sqlite3');
  writeFileSync(database, '');
  chmodSync(database, 0o644);
  const config = loadConfig({}, { port: 0, home, logLevel: 'silent', writeQuickstart: false });
  const service = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => service.close());
  t.is(mode(database), 0o600);
});
