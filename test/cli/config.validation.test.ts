/** loadConfig: defaults, parsing of each kind of value, and every bad value named at once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { OPTIONS, describeOptions, loadConfig, redactUrl } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/util/time.js';

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function problemsOf(t: ExecutionContext, env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): string[] {
  const error = t.throws(() => loadConfig(env, overrides), { instanceOf: ConfigError });
  return error?.problems ?? [];
}

test('defaults: port 8080, ./.funcx, SQLite in FUNCX_HOME, 14 days retention, 3 retries; frozen', (t) => {
  const config = loadConfig({});
  t.like(config, {
    host: '127.0.0.1', port: 8080, home: './.funcx', logLevel: 'info', authMode: 'local', retention: 14 * DAY, maxRetries: 3,
    leaseTimeout: 60 * SECOND, maxPayloadBytes: 10 * 1024 * 1024, maxResultBytes: 10 * 1024 * 1024, maxBatchTasks: 5000,
    endpointOfflineAfter: MINUTE, heartbeatLogSize: 20, pollFallbackInterval: 30 * SECOND, replicaWakeupInterval: 25, writeQuickstart: true, publicUrl: '',
  });
  t.is(config.databaseUrl, `sqlite://${path.resolve('./.funcx/funcx.sqlite3')}`);
  t.true(Object.isFrozen(config));
  t.throws(() => {
    (config as { port: number }).port = 1;
  }, { instanceOf: TypeError });
});

test('every option without a derived default takes the documented default', (t) => {
  const config = loadConfig({}) as unknown as Record<string, unknown>;
  for (const [name, option] of Object.entries(OPTIONS)) {
    if (typeof option.default === 'function') continue;
    t.is(config[name], option.default, name);
  }
});

test('the SQLite file follows FUNCX_HOME unless FUNCX_DATABASE_URL is given', (t) => {
  t.is(loadConfig({ FUNCX_HOME: '/srv/funcx' }).databaseUrl, 'sqlite:///srv/funcx/funcx.sqlite3');
  t.is(loadConfig({ FUNCX_HOME: '/srv/funcx', FUNCX_DATABASE_URL: 'mysql://u:p@db/funcx' }).databaseUrl, 'mysql://u:p@db/funcx');
});

test('durations: ms, s, m, h, d, decimals, and a bare number is seconds', (t) => {
  const cases: [string, number][] = [
    ['1500ms', 1500], ['30s', 30 * SECOND], ['5m', 5 * MINUTE], ['2h', 2 * HOUR], ['14d', 14 * DAY],
    ['1.5h', 90 * MINUTE], ['90', 90 * SECOND], [' 2m ', 2 * MINUTE], ['2.25s', 2250],
  ];
  for (const [text, ms] of cases) t.is(loadConfig({ FUNCX_RETENTION: text }).retention, ms, text);
  t.is(loadConfig({ FUNCX_REAP_INTERVAL: '250ms' }).reapInterval, 250);
  t.is(loadConfig({}, { leaseTimeout: 90 }).leaseTimeout, 90 * SECOND); // a number override is seconds too
});

test('numbers, booleans and choices are parsed from text', (t) => {
  const config = loadConfig({
    FUNCX_PORT: '9000', FUNCX_MAX_RETRIES: '0', FUNCX_WRITE_QUICKSTART: 'no', FUNCX_LOG_LEVEL: 'debug', FUNCX_DATABASE_POOL_MAX: '2',
  });
  t.like(config, { port: 9000, maxRetries: 0, writeQuickstart: false, logLevel: 'debug', databasePoolMax: 2 });
  for (const [text, value] of [['1', true], ['TRUE', true], ['on', true], ['yes', true], ['0', false], ['False', false], ['off', false]] as const) {
    t.is(loadConfig({ FUNCX_WRITE_QUICKSTART: text }).writeQuickstart, value, text);
  }
  t.is(loadConfig({ FUNCX_PORT: '0' }).port, 0); // 0 picks a free port
});

test('an empty variable counts as unset; overrides win over the environment', (t) => {
  t.is(loadConfig({ FUNCX_PORT: '' }).port, 8080);
  t.is(loadConfig({ FUNCX_PORT: '9000' }, { port: 0 }).port, 0);
});

test('every bad value is named at once, with what was expected; passwords are not echoed', (t) => {
  t.deepEqual(problemsOf(t, {
    FUNCX_PORT: 'http', FUNCX_RETENTION: 'forever', FUNCX_LOG_LEVEL: 'loud', FUNCX_MAX_RETRIES: '-1', FUNCX_DATABASE_URL: 'postgres://u:secret@h/db',
  }), [
    'FUNCX_PORT="http": expected a whole number',
    'FUNCX_LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
    'FUNCX_MAX_RETRIES="-1": expected a number from 0 to 100',
    'FUNCX_RETENTION="forever": expected a duration such as 500ms, 30s, 5m, 2h, 14d (a bare number is seconds)',
    'FUNCX_DATABASE_URL="postgres://u:***@h/db": must start with sqlite:// or mysql://',
  ]);
});

test('out-of-range numbers and durations, bad booleans and choices each name their variable and range', (t) => {
  t.deepEqual(problemsOf(t, {
    FUNCX_PORT: '70000', FUNCX_DATABASE_POOL_MAX: '1', FUNCX_AUTH_MODE: 'ldap', FUNCX_MAX_BATCH_TASKS: '2.5',
    FUNCX_LEASE_TIMEOUT: '500ms', FUNCX_REAP_INTERVAL: '2h', FUNCX_WRITE_QUICKSTART: 'maybe',
  }), [
    'FUNCX_PORT="70000": expected a number from 0 to 65535',
    'FUNCX_DATABASE_POOL_MAX="1": expected a number from 2 to 200',
    'FUNCX_AUTH_MODE="ldap": expected one of local, oidc',
    'FUNCX_MAX_BATCH_TASKS="2.5": expected a whole number',
    'FUNCX_LEASE_TIMEOUT="500ms": expected a duration from 1000ms to 86400000ms',
    'FUNCX_REAP_INTERVAL="2h": expected a duration from 50ms to 3600000ms',
    'FUNCX_WRITE_QUICKSTART="maybe": expected true or false',
  ]);
  t.deepEqual(problemsOf(t, { FUNCX_PORT: 'notanumber' }), ['FUNCX_PORT="notanumber": expected a whole number']);
  t.deepEqual(problemsOf(t, { FUNCX_RETENTION: '-5s' }), ['FUNCX_RETENTION="-5s": expected a duration such as 500ms, 30s, 5m, 2h, 14d (a bare number is seconds)']);
  // Overrides are checked the same way, named by option.
  t.deepEqual(problemsOf(t, {}, { port: 'x' }), ['port="x": expected a whole number']);
});

test('the error message lists each problem on its own line', (t) => {
  const error = t.throws(() => loadConfig({ FUNCX_PORT: 'x', FUNCX_MAX_RETRIES: 'y' }), { instanceOf: ConfigError });
  t.is(error?.message, 'invalid configuration:\n  - FUNCX_PORT="x": expected a whole number\n  - FUNCX_MAX_RETRIES="y": expected a whole number');
});

test('a YAML config file is read, environment wins over it, unknown keys are refused', (t) => {
  const file = path.join(tempDir(t), 'service.yaml');
  writeFileSync(file, 'port: 7000\nretention: 3d\nmax_retries: 5\nwrite_quickstart: false\n');
  t.like(loadConfig({ FUNCX_CONFIG_FILE: file, FUNCX_MAX_RETRIES: '1' }), { port: 7000, retention: 3 * DAY, maxRetries: 1, writeQuickstart: false, configFile: file });
  writeFileSync(file, 'prot: 7000\n');
  t.deepEqual(problemsOf(t, { FUNCX_CONFIG_FILE: file }), [`${file}: unknown option "prot"`]);
  writeFileSync(file, 'port: seventy\nlease_timeout: 30\n');
  t.deepEqual(problemsOf(t, { FUNCX_CONFIG_FILE: file }), [`${file}: port="seventy": expected a whole number`]);
  t.is(loadConfig({ FUNCX_CONFIG_FILE: file, FUNCX_PORT: '1' }).leaseTimeout, 30 * SECOND);
});

test('a JSON config file works too; a missing or malformed file is a problem naming FUNCX_CONFIG_FILE', (t) => {
  const dir = tempDir(t);
  const json = path.join(dir, 'service.json');
  writeFileSync(json, JSON.stringify({ port: 7001, lease_timeout: '2m' }));
  t.like(loadConfig({ FUNCX_CONFIG_FILE: json }), { port: 7001, leaseTimeout: 2 * MINUTE });
  const missing = path.join(dir, 'nope.yaml');
  const [problem] = problemsOf(t, { FUNCX_CONFIG_FILE: missing });
  t.true(problem.startsWith(`FUNCX_CONFIG_FILE=${missing}: ENOENT`), problem);
  const list = path.join(dir, 'list.yaml');
  writeFileSync(list, '- port\n- 7000\n');
  t.deepEqual(problemsOf(t, { FUNCX_CONFIG_FILE: list }), [`FUNCX_CONFIG_FILE=${list}: expected a mapping of option names to values`]);
  const empty = path.join(dir, 'empty.yaml');
  writeFileSync(empty, '');
  t.is(loadConfig({ FUNCX_CONFIG_FILE: empty }).port, 8080);
});

test('describeOptions documents every variable with its default; redactUrl hides passwords only', (t) => {
  const text = describeOptions();
  for (const option of Object.values(OPTIONS)) t.true(text.includes(option.env), option.env);
  t.regex(text, /FUNCX_RETENTION\s+retention\s+default 14d/);
  t.is(redactUrl('mysql://funcx:s3cret@db:3306/funcx'), 'mysql://funcx:***@db:3306/funcx');
  t.is(redactUrl('mysql://funcx@db/funcx'), 'mysql://funcx@db/funcx');
});

test('FUNCX_DATABASE_URL is parsed at start: a malformed URL or a MySQL URL without a database is a config problem', (t) => {
  t.deepEqual(problemsOf(t, { FUNCX_DATABASE_URL: 'mysql://u:p@[bad/db' }), [
    'FUNCX_DATABASE_URL="mysql://u:***@[bad/db": not a valid URL (a password with reserved characters such as @ / : [ must be percent-encoded)',
  ]);
  for (const url of ['mysql://u:p@db', 'mysql://u:p@db:3306/', 'mysql://u:p@db/funcx/extra']) {
    t.deepEqual(problemsOf(t, { FUNCX_DATABASE_URL: url }), [
      `FUNCX_DATABASE_URL=${JSON.stringify(redactUrl(url))}: expected one database name after the host (mysql://user:password@host:3306/database)`,
    ], url);
  }
  t.deepEqual(problemsOf(t, { FUNCX_DATABASE_URL: 'sqlite://' }), ['FUNCX_DATABASE_URL="sqlite://": expected sqlite:///absolute/path/to/file.sqlite3']);
  t.is(loadConfig({ FUNCX_DATABASE_URL: 'mysql://u:p%40ss@db:3307/funcx' }).databaseUrl, 'mysql://u:p%40ss@db:3307/funcx');
});

test('FUNCX_MAX_BODY_BYTES must hold the largest payload or result plus room for the JSON around it', (t) => {
  t.deepEqual(problemsOf(t, { FUNCX_MAX_BODY_BYTES: String(10 * 1024 * 1024) }), [
    'FUNCX_MAX_BODY_BYTES=10485760: must be at least 10486784 (the larger of FUNCX_MAX_PAYLOAD_BYTES=10485760 and FUNCX_MAX_RESULT_BYTES=10485760, plus 1024 bytes for the JSON around it)',
  ]);
  t.deepEqual(problemsOf(t, { FUNCX_MAX_BODY_BYTES: '65536', FUNCX_MAX_PAYLOAD_BYTES: '1000', FUNCX_MAX_RESULT_BYTES: '70000' }), [
    'FUNCX_MAX_BODY_BYTES=65536: must be at least 71024 (the larger of FUNCX_MAX_PAYLOAD_BYTES=1000 and FUNCX_MAX_RESULT_BYTES=70000, plus 1024 bytes for the JSON around it)',
  ]);
  t.is(loadConfig({ FUNCX_MAX_BODY_BYTES: '71024', FUNCX_MAX_PAYLOAD_BYTES: '1000', FUNCX_MAX_RESULT_BYTES: '70000' }).maxBodyBytes, 71024);
  t.is(loadConfig({}).maxBodyBytes, 64 * 1024 * 1024, 'the defaults are consistent');
});
