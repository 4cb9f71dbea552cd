import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { DAY, SECOND } from '../../src/util/time.js';

test('defaults: port 8080, ./.funcx, SQLite in FUNCX_HOME, 14 days retention, 3 retries', (t) => {
  const config = loadConfig({});
  t.like(config, { host: '127.0.0.1', port: 8080, home: './.funcx', retention: 14 * DAY, maxRetries: 3, leaseTimeout: 60 * SECOND, maxPayloadBytes: 10 * 1024 * 1024 });
  t.is(config.databaseUrl, `sqlite://${path.resolve('./.funcx/funcx.sqlite3')}`);
  t.true(Object.isFrozen(config));
});

test('environment values are parsed: durations, numbers, booleans', (t) => {
  const config = loadConfig({ FUNCX_PORT: '9000', FUNCX_RETENTION: '2h', FUNCX_LEASE_TIMEOUT: '90', FUNCX_WRITE_QUICKSTART: 'no', FUNCX_DATABASE_URL: 'mysql://u:p@db:3306/funcx' });
  t.like(config, { port: 9000, retention: 2 * 3600 * SECOND, leaseTimeout: 90 * SECOND, writeQuickstart: false, databaseUrl: 'mysql://u:p@db:3306/funcx' });
});

test('every bad value is named at once, with what was expected; passwords are not echoed', (t) => {
  const error = t.throws(() => loadConfig({
    FUNCX_PORT: 'http', FUNCX_RETENTION: 'forever', FUNCX_LOG_LEVEL: 'loud', FUNCX_MAX_RETRIES: '-1', FUNCX_DATABASE_URL: 'postgres://u:secret@h/db',
  }), { instanceOf: ConfigError });
  t.deepEqual(error!.problems, [
    'FUNCX_PORT="http": expected a whole number',
    'FUNCX_LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    'FUNCX_MAX_RETRIES="-1": expected a number from 0 to 100',
    'FUNCX_RETENTION="forever": expected a duration such as 500ms, 30s, 5m, 2h, 14d (a bare number is seconds)',
    'FUNCX_DATABASE_URL="postgres://u:***@h/db": must start with sqlite:// or mysql://',
  ]);
});

test('a YAML config file is read, environment wins over it, unknown keys are refused', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-config-'));
  t.teardown(() => import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true })));
  const file = path.join(dir, 'service.yaml');
  writeFileSync(file, 'port: 7000\nretention: 3d\nmax_retries: 5\n');
  t.like(loadConfig({ FUNCX_CONFIG_FILE: file, FUNCX_MAX_RETRIES: '1' }), { port: 7000, retention: 3 * DAY, maxRetries: 1 });
  writeFileSync(file, 'prot: 7000\n');
  const error = t.throws(() => loadConfig({ FUNCX_CONFIG_FILE: file }), { instanceOf: ConfigError });
  t.deepEqual(error!.problems, [`${file}: unknown option "prot"`]);
});
