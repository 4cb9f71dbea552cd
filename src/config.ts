/**
 * The service's configuration: the only module that reads process.env.
 *
 * Each option is read from an environment variable, else from the optional
 * config file (FUNCX_CONFIG_FILE, JSON or YAML, keys as in `file` below), else
 * its default. Every value is checked at start-up and all problems are reported
 * at once; the result is frozen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, asError } from './errors.js';
import { authConfigProblems } from './auth/configProblems.js';
import { serverConfigProblems } from './http/serverConfigProblems.js';
import { metricsConfigProblems } from './metrics/configProblems.js';
import { amqpConfigProblems } from './upstream/amqp/configProblems.js';
import { ACTION_PROVIDER_OPTIONS, actionProviderConfigProblems } from '../action-provider/index.js';
import { DAY, HOUR, MINUTE, SECOND, formatDuration, parseDuration } from './util/time.js';

const MB = 1024 * 1024;

export type Kind =
  | { type: 'string'; choices?: readonly string[] }
  | { type: 'integer'; min: number; max: number }
  | { type: 'duration'; min: number; max: number }
  | { type: 'boolean' };

export interface Option {
  env: string;
  file: string;
  kind: Kind;
  /** A value, or a function of the options read so far (for defaults derived from FUNCX_HOME). */
  default: unknown | ((partial: Record<string, unknown>) => unknown);
  doc: string;
}

/** The documented option table; docs/configuration.md is generated from it (`npm run docs:config`). */
export const OPTIONS = {
  host: { env: 'FUNCX_HOST', file: 'host', kind: { type: 'string' }, default: '127.0.0.1', doc: 'Address to listen on.' },
  port: { env: 'FUNCX_PORT', file: 'port', kind: { type: 'integer', min: 0, max: 65535 }, default: 8080, doc: 'TCP port to listen on; 0 picks a free one.' },
  home: {
    env: 'FUNCX_HOME', file: 'home', kind: { type: 'string' }, default: './.funcx',
    doc: 'Folder for the SQLite file, quickstart.json and local endpoints.',
  },
  databaseUrl: {
    env: 'FUNCX_DATABASE_URL', file: 'database_url', kind: { type: 'string' },
    default: (partial: Record<string, unknown>) => `sqlite://${path.resolve(String(partial.home), 'funcx.sqlite3')}`,
    doc: 'sqlite:///abs/path.sqlite3 (default: FUNCX_HOME/funcx.sqlite3) or mysql://user:pass@host:port/db.',
  },
  databasePoolMax: {
    env: 'FUNCX_DATABASE_POOL_MAX', file: 'database_pool_max', kind: { type: 'integer', min: 2, max: 200 }, default: 10,
    doc: 'Most connections to MySQL (SQLite always uses one writer); at least 2, migrations hold one for their lock.',
  },
  databaseStatementTimeout: {
    env: 'FUNCX_DATABASE_STATEMENT_TIMEOUT', file: 'database_statement_timeout',
    kind: { type: 'duration', min: 0, max: HOUR }, default: MINUTE,
    doc: 'MariaDB: time limit on each statement (session max_statement_time; 0: none). MariaDB may wait for disk space instead '
      + 'of failing a write; past this the request gets 503 with Retry-After instead of hanging. Migrations run without it. Ignored on MySQL and SQLite.',
  },
  publicUrl: {
    env: 'FUNCX_PUBLIC_URL', file: 'public_url', kind: { type: 'string' }, default: '',
    doc: 'URL clients reach the service at (written to quickstart.json); default http://HOST:PORT.',
  },
  logLevel: {
    env: 'FUNCX_LOG_LEVEL', file: 'log_level',
    kind: { type: 'string', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info',
    doc: 'pino log level.',
  },
  logFormat: {
    env: 'FUNCX_LOG_FORMAT', file: 'log_format',
    kind: { type: 'string', choices: ['auto', 'json', 'pretty'] }, default: 'auto',
    doc: 'json: one JSON object per line, written out every 20 ms (a kill -9 may lose the last 20 ms of lines; every other exit writes them); pretty: human-readable (pino-pretty), each line at once; auto: pretty when stdout is a terminal, else json.',
  },
  // Prometheus metrics (docs/metrics.md). The token comes first: the mode's default depends on it.
  metricsToken: {
    env: 'FUNCX_METRICS_TOKEN', file: 'metrics_token', kind: { type: 'string' }, default: '',
    doc: 'Bearer token a scraper must send to GET /metrics in token mode (at least 16 characters; never logged).',
  },
  metrics: {
    env: 'FUNCX_METRICS', file: 'metrics', kind: { type: 'string', choices: ['off', 'open', 'token'] },
    default: (partial: Record<string, unknown>) => (partial.metricsToken ? 'token' : 'off'),
    doc: 'GET /metrics: off (404), open (anyone who reaches the port; only on a trusted network), token (Bearer '
      + 'FUNCX_METRICS_TOKEN). Default: token when FUNCX_METRICS_TOKEN is set, else off.',
  },
  metricsMaxEndpoints: {
    env: 'FUNCX_METRICS_MAX_ENDPOINTS', file: 'metrics_max_endpoints',
    kind: { type: 'integer', min: 0, max: 10000 }, default: 50,
    doc: 'Endpoints that get their own label value in per-endpoint metrics (the first seen by this replica); the rest are counted as endpoint="other".',
  },
  metricsQueueRefresh: {
    env: 'FUNCX_METRICS_QUEUE_REFRESH', file: 'metrics_queue_refresh',
    kind: { type: 'duration', min: SECOND, max: HOUR }, default: 15 * SECOND,
    doc: 'Queue depth per endpoint and state is one grouped query over unfinished tasks, reused by scrapes for this long.',
  },
  // Results over AMQP for the upstream Globus Compute Executor (docs/upstream-sdks.md).
  amqpUrl: {
    env: 'FUNCX_AMQP_URL', file: 'amqp_url', kind: { type: 'string' }, default: '',
    doc: 'amqp://user:pass@host:port/vhost of a RabbitMQ the service publishes upstream-format results to (its administrative '
      + 'user; never logged). Empty: no AMQP results, and GET /v2/get_amqp_result_connection_url answers 501.',
  },
  amqpManagementUrl: {
    env: 'FUNCX_AMQP_MANAGEMENT_URL', file: 'amqp_management_url', kind: { type: 'string' }, default: '',
    doc: 'http://user:pass@host:port of that RabbitMQ\'s management API, used to give each user credentials that read only their '
      + 'own result queues. Required with FUNCX_AMQP_URL.',
  },
  authMode: {
    env: 'FUNCX_AUTH_MODE', file: 'auth_mode', kind: { type: 'string', choices: ['local', 'oidc'] }, default: 'local',
    doc: 'local: API tokens issued by `funcx-service token create`; oidc: access tokens from an OpenID Connect provider (FUNCX_OIDC_*).',
  },
  oidcIssuer: {
    env: 'FUNCX_OIDC_ISSUER', file: 'oidc_issuer', kind: { type: 'string' }, default: '',
    doc: 'oidc: the issuer URL (discovered through /.well-known/openid-configuration); must equal the tokens\' iss.',
  },
  oidcClientId: {
    env: 'FUNCX_OIDC_CLIENT_ID', file: 'oidc_client_id', kind: { type: 'string' }, default: '',
    doc: 'oidc: the service\'s own client id at the provider, used for token introspection (RFC 7662).',
  },
  oidcClientSecret: {
    env: 'FUNCX_OIDC_CLIENT_SECRET', file: 'oidc_client_secret', kind: { type: 'string' }, default: '',
    doc: 'oidc: that client\'s secret (sent with client_secret_post; never logged).',
  },
  oidcAudience: {
    env: 'FUNCX_OIDC_AUDIENCE', file: 'oidc_audience', kind: { type: 'string' }, default: '',
    doc: 'oidc: the audience (aud) every access token must be issued for, e.g. the service\'s resource URL.',
  },
  oidcRequiredScopes: {
    env: 'FUNCX_OIDC_REQUIRED_SCOPES', file: 'oidc_required_scopes', kind: { type: 'string' }, default: '',
    doc: 'oidc: space-separated scopes every access token must carry (none when empty).',
  },
  oidcGroupsClaim: {
    env: 'FUNCX_OIDC_GROUPS_CLAIM', file: 'oidc_groups_claim', kind: { type: 'string' }, default: 'groups',
    doc: 'oidc: the claim (dotted path for nested ones, e.g. realm_access.roles) holding the caller\'s groups, in the JWT or the introspection response.',
  },
  oidcJwtAlgorithms: {
    env: 'FUNCX_OIDC_JWT_ALGORITHMS', file: 'oidc_jwt_algorithms',
    kind: { type: 'string' }, default: 'RS256,PS256,ES256,EdDSA',
    doc: 'oidc: comma-separated signature algorithms accepted on JWT access tokens; asymmetric only (never none or HS*).',
  },
  oidcIntrospectionCacheTtl: {
    env: 'FUNCX_OIDC_INTROSPECTION_CACHE_TTL', file: 'oidc_introspection_cache_ttl',
    kind: { type: 'duration', min: 0, max: 30 * SECOND }, default: 30 * SECOND,
    doc: 'oidc: how long an active introspection answer is reused (never past the token\'s exp); a revoked token works at most this long.',
  },
  oidcJwksCooldown: {
    env: 'FUNCX_OIDC_JWKS_COOLDOWN', file: 'oidc_jwks_cooldown',
    kind: { type: 'duration', min: 0, max: HOUR }, default: 30 * SECOND,
    doc: 'oidc: a token with an unknown key id refetches the provider\'s key set at most this often.',
  },
  oidcTimeout: {
    env: 'FUNCX_OIDC_TIMEOUT', file: 'oidc_timeout',
    kind: { type: 'duration', min: 100, max: MINUTE }, default: 10 * SECOND,
    doc: 'oidc: time limit on each call to the provider (discovery, key set, introspection); past it the request gets 503.',
  },
  oidcLoginClientId: {
    env: 'FUNCX_OIDC_LOGIN_CLIENT_ID', file: 'oidc_login_client_id', kind: { type: 'string' }, default: '',
    doc: 'oidc: the public (native) client that `funcx login` uses at the provider; advertised on GET /v2/version with the issuer, audience and scopes.',
  },
  oidcConsoleClientId: {
    env: 'FUNCX_OIDC_CONSOLE_CLIENT_ID', file: 'oidc_console_client_id', kind: { type: 'string' }, default: '',
    doc: 'oidc: the public client the web console signs in with (authorization code + PKCE in the browser; redirect URI <service '
      + 'URL>/console, CORS allowed from the service\'s origin); advertised on GET /v2/version. Empty: the console asks for a pasted access token.',
  },
  oidcAcceptJwtTyp: {
    env: 'FUNCX_OIDC_ACCEPT_JWT_TYP', file: 'oidc_accept_jwt_typ', kind: { type: 'boolean' }, default: false,
    doc: 'oidc: also accept JWT access tokens whose header typ is JWT (providers that do not issue RFC 9068 at+jwt tokens). Off: '
      + 'only typ at+jwt passes, so an ID token cannot stand in for an access token. Tokens carrying a nonce (ID tokens) are refused either way.',
  },
  oidcAllowHttp: {
    env: 'FUNCX_OIDC_ALLOW_HTTP', file: 'oidc_allow_http', kind: { type: 'boolean' }, default: false,
    doc: 'oidc: allow an http:// issuer (tests and development only; a warning is logged).',
  },
  maxPayloadBytes: {
    env: 'FUNCX_MAX_PAYLOAD_BYTES', file: 'max_payload_bytes',
    kind: { type: 'integer', min: 1, max: 512 * MB }, default: 10 * MB,
    doc: 'Largest serialized task payload (TaskPayloadTooLarge above it).',
  },
  maxResultBytes: {
    env: 'FUNCX_MAX_RESULT_BYTES', file: 'max_result_bytes',
    kind: { type: 'integer', min: 1, max: 512 * MB }, default: 10 * MB,
    doc: 'Largest serialized result; a larger one fails the task with TaskResultTooLarge.',
  },
  maxBatchTasks: {
    env: 'FUNCX_MAX_BATCH_TASKS', file: 'max_batch_tasks',
    kind: { type: 'integer', min: 1, max: 100000 }, default: 5000,
    doc: 'Most tasks in one submit (BatchRunTooLarge above it).',
  },
  maxBodyBytes: {
    env: 'FUNCX_MAX_BODY_BYTES', file: 'max_body_bytes',
    kind: { type: 'integer', min: 1024, max: 2048 * MB }, default: 64 * MB,
    doc: 'Largest request body (RequestBodyTooLarge above it).',
  },
  leaseTimeout: {
    env: 'FUNCX_LEASE_TIMEOUT', file: 'lease_timeout',
    kind: { type: 'duration', min: SECOND, max: DAY }, default: 60 * SECOND,
    doc: 'How long a lease lasts without a heartbeat before the task is retried.',
  },
  maxRetries: {
    env: 'FUNCX_MAX_RETRIES', file: 'max_retries', kind: { type: 'integer', min: 0, max: 100 }, default: 3,
    doc: 'Retries after a lost attempt (EndpointLost, WorkerLost) before the task fails.',
  },
  reapInterval: {
    env: 'FUNCX_REAP_INTERVAL', file: 'reap_interval',
    kind: { type: 'duration', min: 50, max: HOUR }, default: 5 * SECOND,
    doc: 'How often expired leases are looked for.',
  },
  retention: {
    env: 'FUNCX_RETENTION', file: 'retention',
    kind: { type: 'duration', min: SECOND, max: 3650 * DAY }, default: 14 * DAY,
    doc: 'How long finished tasks and their results are kept.',
  },
  purgeInterval: {
    env: 'FUNCX_PURGE_INTERVAL', file: 'purge_interval', kind: { type: 'duration', min: 100, max: DAY }, default: HOUR,
    doc: 'How often finished tasks past retention are deleted.',
  },
  endpointOfflineAfter: {
    env: 'FUNCX_ENDPOINT_OFFLINE_AFTER', file: 'endpoint_offline_after',
    kind: { type: 'duration', min: SECOND, max: DAY }, default: MINUTE,
    doc: 'An endpoint with no heartbeat for this long is offline.',
  },
  heartbeatLogSize: {
    env: 'FUNCX_HEARTBEAT_LOG_SIZE', file: 'heartbeat_log_size',
    kind: { type: 'integer', min: 1, max: 1000 }, default: 20,
    doc: 'Recent heartbeats kept per endpoint (the status "logs").',
  },
  taskOutputTotalCap: {
    env: 'FUNCX_TASK_OUTPUT_TOTAL_CAP', file: 'task_output_total_cap',
    kind: { type: 'integer', min: MB, max: 64 * 1024 * MB }, default: 256 * MB,
    doc: 'Bytes of live task output (stdout and stderr, the last 1 MiB per task) the service keeps for all tasks together; past '
      + 'it the output updated longest ago is dropped first.',
  },
  pollFallbackInterval: {
    env: 'FUNCX_POLL_FALLBACK_INTERVAL', file: 'poll_fallback_interval',
    kind: { type: 'duration', min: 10, max: 10 * MINUTE }, default: 30 * SECOND,
    doc: 'A waiting long-poll re-checks the database this often even when nothing woke it: a safety net, since submits and '
      + 'results wake polls at once (in other replicas through FUNCX_REPLICA_WAKEUP_INTERVAL). Lower values cost one query per '
      + 'waiting poll per interval. On MySQL/MariaDB with the relay on, an endpoint\'s lease poll does not re-check within the '
      + 'poll (the relay carries every wake-up; its next poll looks first thing, unless its last look on that replica found '
      + 'nothing and nothing woke it since, and at least every 5 minutes: docs/api.md).',
  },
  replicaWakeupInterval: {
    env: 'FUNCX_REPLICA_WAKEUP_INTERVAL', file: 'replica_wakeup_interval',
    kind: { type: 'duration', min: 0, max: 10 * SECOND }, default: 25,
    doc: 'On MySQL/MariaDB, how often each replica reads the wake-ups other replicas announced (one query per interval, however '
      + 'many polls wait); a submit through one replica wakes polls held by another within about this. A replica that knows of no other '
      + 'reads once a second, for a newcomer\'s presence. 0 turns it off. Unused on SQLite (one replica).',
  },
  rateLimitRequests: {
    env: 'FUNCX_RATE_LIMIT_REQUESTS', file: 'rate_limit_requests',
    kind: { type: 'integer', min: 0, max: 10_000_000 }, default: 6000,
    doc: 'Requests each identity (user, endpoint) may make per FUNCX_RATE_LIMIT_WINDOW, in bursts up to that many; then 429 '
      + 'TooManyRequests with Retry-After. An endpoint\'s lease polls answered with tasks and results posts that store one are free '
      + '(its users\' submits paid for them). 0 turns limits off. Shared by all replicas on one database (table rate_limits).',
  },
  rateLimitWindow: {
    env: 'FUNCX_RATE_LIMIT_WINDOW', file: 'rate_limit_window',
    kind: { type: 'duration', min: SECOND, max: DAY }, default: MINUTE,
    doc: 'The window of FUNCX_RATE_LIMIT_REQUESTS and FUNCX_RATE_LIMIT_AUTH_FAILURES.',
  },
  rateLimitAuthFailures: {
    env: 'FUNCX_RATE_LIMIT_AUTH_FAILURES', file: 'rate_limit_auth_failures',
    kind: { type: 'integer', min: 0, max: 10_000_000 }, default: 300,
    doc: 'Refused credentials allowed per client address per window (bounds token guessing and introspection floods); then 429. '
      + '0 turns it off. Shared by all replicas; another replica refuses a blocked address within about a second.',
  },
  trustProxy: {
    env: 'FUNCX_TRUST_PROXY', file: 'trust_proxy', kind: { type: 'boolean' }, default: false,
    doc: 'Believe X-Forwarded-For/-Proto/-Host (only behind a proxy that sets them); otherwise the client address is the socket\'s.',
  },
  tlsCertFile: {
    env: 'FUNCX_TLS_CERT_FILE', file: 'tls_cert_file', kind: { type: 'string' }, default: '',
    doc: 'PEM certificate (chain) file: with FUNCX_TLS_KEY_FILE the service serves HTTPS itself.',
  },
  tlsKeyFile: { env: 'FUNCX_TLS_KEY_FILE', file: 'tls_key_file', kind: { type: 'string' }, default: '', doc: 'PEM private key file for FUNCX_TLS_CERT_FILE.' },
  headersTimeout: {
    env: 'FUNCX_HEADERS_TIMEOUT', file: 'headers_timeout',
    kind: { type: 'duration', min: 100, max: 10 * MINUTE }, default: MINUTE,
    doc: 'A client must send its request headers within this (slow clients are disconnected).',
  },
  requestTimeout: {
    env: 'FUNCX_REQUEST_TIMEOUT', file: 'request_timeout',
    kind: { type: 'duration', min: 100, max: HOUR }, default: 5 * MINUTE,
    doc: 'A whole request (headers and body) must arrive within this; large uploads on slow links need time. Long-polls are not '
      + 'affected (they wait after the request arrived).',
  },
  writeQuickstart: {
    env: 'FUNCX_WRITE_QUICKSTART', file: 'write_quickstart', kind: { type: 'boolean' }, default: true,
    doc: 'On first start, create an admin token and write FUNCX_HOME/quickstart.json.',
  },
  // The Action Provider API's options, beside the part (action-provider/config.ts).
  ...ACTION_PROVIDER_OPTIONS,
} satisfies Record<string, Option>;

/** In the order their problems are listed. */
const FEATURE_CHECKS: readonly ((values: Record<string, unknown>) => string[])[] = [
  bodyLimitProblems, authConfigProblems, serverConfigProblems, actionProviderConfigProblems, metricsConfigProblems, amqpConfigProblems,
];

type OptionName = keyof typeof OPTIONS;
type ValueOf<K extends Kind> = K extends { type: 'string' } ? string : K extends { type: 'boolean' } ? boolean : number;
export type Config = Readonly<{ [N in OptionName]: ValueOf<(typeof OPTIONS)[N]['kind']> } & { configFile?: string }>;

/** Reads, checks and freezes the configuration; throws ConfigError listing every bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<OptionName, unknown>> = {}): Config {
  const problems: string[] = [];
  const fileValues = readConfigFile(env.FUNCX_CONFIG_FILE, problems);
  const values: Record<string, unknown> = {};

  for (const [name, option] of Object.entries(OPTIONS) as [OptionName, Option][]) {
    let raw: unknown;
    let source: string;
    if (overrides[name] !== undefined) [raw, source] = [overrides[name], name];
    else if (env[option.env] !== undefined && env[option.env] !== '') [raw, source] = [env[option.env], option.env];
    else if (fileValues[option.file] !== undefined) [raw, source] = [fileValues[option.file], `${env.FUNCX_CONFIG_FILE}: ${option.file}`];
    else {
      values[name] = typeof option.default === 'function' ? option.default(values) : option.default;
      continue;
    }
    const parsed = parseValue(option.kind, raw);
    if (typeof parsed === 'string' && parsed.startsWith('!')) problems.push(`${source}=${JSON.stringify(raw)}: ${parsed.slice(1)}`);
    else values[name] = parsed;
  }
  for (const key of Object.keys(fileValues)) {
    if (!Object.values(OPTIONS).some((o) => o.file === key)) problems.push(`${env.FUNCX_CONFIG_FILE}: unknown option "${key}"`);
  }
  if (typeof values.databaseUrl === 'string') problems.push(...databaseUrlProblems(values.databaseUrl));
  // Each feature's checks that a single value's kind cannot make, beside the feature.
  for (const check of FEATURE_CHECKS) problems.push(...check(values));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...values, configFile: env.FUNCX_CONFIG_FILE }) as Config;
}

/** The database URL is parsed here, so a malformed one is a config problem and not a crash at connect. */
function databaseUrlProblems(url: string): string[] {
  const shown = `FUNCX_DATABASE_URL=${JSON.stringify(redactUrl(url))}`;
  if (!/^(sqlite|mysql):\/\//.test(url)) return [`${shown}: must start with sqlite:// or mysql://`];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [`${shown}: not a valid URL (a password with reserved characters such as @ / : [ must be percent-encoded)`];
  }
  if (parsed.protocol === 'sqlite:') {
    return decodeURIComponent(parsed.pathname) === '' || parsed.pathname === '/' ? [`${shown}: expected sqlite:///absolute/path/to/file.sqlite3`] : [];
  }
  const problems: string[] = [];
  if (parsed.hostname === '') problems.push(`${shown}: the MySQL host is missing (mysql://user:password@host:3306/database)`);
  if (parsed.pathname.replace(/^\//, '') === '' || parsed.pathname.slice(1).includes('/')) {
    problems.push(`${shown}: expected one database name after the host (mysql://user:password@host:3306/database)`);
  }
  return problems;
}

/** Bytes a request body needs beyond the largest payload or result it carries (JSON around it). */
export const BODY_HEADROOM_BYTES = 1024;

/** A payload or result the service accepts must fit in a request body, or it could never be sent. */
function bodyLimitProblems(values: Record<string, unknown>): string[] {
  const { maxBodyBytes, maxPayloadBytes, maxResultBytes } = values;
  if (typeof maxBodyBytes !== 'number' || typeof maxPayloadBytes !== 'number' || typeof maxResultBytes !== 'number') return [];
  const needed = Math.max(maxPayloadBytes, maxResultBytes) + BODY_HEADROOM_BYTES;
  if (maxBodyBytes >= needed) return [];
  return [
    `FUNCX_MAX_BODY_BYTES=${maxBodyBytes}: must be at least ${needed} (the larger of FUNCX_MAX_PAYLOAD_BYTES=${maxPayloadBytes} `
      + `and FUNCX_MAX_RESULT_BYTES=${maxResultBytes}, plus ${BODY_HEADROOM_BYTES} bytes for the JSON around it)`,
  ];
}

/** Returns the parsed value, or "!why" when the value does not fit. */
function parseValue(kind: Kind, raw: unknown): unknown {
  switch (kind.type) {
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return '!expected a string';
      const text = String(raw);
      if (kind.choices && !kind.choices.includes(text)) return `!expected one of ${kind.choices.join(', ')}`;
      return text;
    }
    case 'integer': {
      const number = typeof raw === 'number' ? raw : /^-?\d+$/.test(String(raw).trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(number)) return '!expected a whole number';
      if (number < kind.min || number > kind.max) return `!expected a number from ${kind.min} to ${kind.max}`;
      return number;
    }
    case 'duration': {
      const ms = typeof raw === 'number' || typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined) return '!expected a duration such as 500ms, 30s, 5m, 2h, 14d (a bare number is seconds)';
      if (ms < kind.min || ms > kind.max) return `!expected a duration from ${kind.min}ms to ${kind.max}ms`;
      return ms;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const text = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(text)) return true;
      if (['0', 'false', 'no', 'off'].includes(text)) return false;
      return '!expected true or false';
    }
  }
}

function readConfigFile(file: string | undefined, problems: string[]): Record<string, unknown> {
  if (!file) return {};
  try {
    const parsed: unknown = YAML.parse(readFileSync(file, 'utf8')); // YAML is a superset of JSON
    if (parsed == null) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`FUNCX_CONFIG_FILE=${file}: expected a mapping of option names to values`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    problems.push(`FUNCX_CONFIG_FILE=${file}: ${asError(error).message}`);
    return {};
  }
}

/** The URL with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** The option table as text, for `funcx-service config`. */
export function describeOptions(): string {
  return Object.values(OPTIONS as Record<string, Option>)
    .map((o) => {
      const shown = typeof o.default === 'function' ? '(derived)'
        : o.kind.type === 'duration' ? formatDuration(o.default as number)
        : JSON.stringify(o.default);
      return `${o.env.padEnd(30)} ${o.file.padEnd(24)} default ${shown}\n    ${o.doc}`;
    })
    .join('\n');
}
