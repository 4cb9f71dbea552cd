/**
 * A live service for a test: its own database and FUNCX_HOME, HTTP on port 0,
 * closed (and everything removed) when the test ends, pass or fail.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { createToken } from '../../src/registry/tokens.js';
import { Validator } from '../../src/http/validation.js';
import { responseProblem, type Doc } from './openapi.js';
import { createTestDatabase, registerPerDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  body: T;
  headers: Headers;
}

export interface LiveService {
  kind: DatabaseKind;
  url: string;
  service: RunningService;
  db: Knex;
  database: TestDatabase;
  config: Config;
  /** The admin token written to quickstart.json on first start ('' in oidc mode). */
  adminToken: string;
  /** A token for another identity (with optional groups). */
  tokenFor(identity: string, groups?: string[]): Promise<string>;
  call<T = any>(method: string, urlPath: string, options?: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string }): Promise<ApiResponse<T>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type ConfigOverrides = Partial<Record<keyof Config, unknown>>;

/**
 * `logger`: the service's logger (a test that reads its lines); `logDestination`: where its log lines go (at info), for a
 * test that reads them (e.g. the request log's remote address).
 */
export async function startLiveService(t: ExecutionContext, kind: DatabaseKind, overrides: ConfigOverrides = {}, options: { logger?: Logger; logDestination?: DestinationStream } = {}): Promise<LiveService> {
  const database = await createTestDatabase(kind);
  t.teardown(() => database.cleanup());
  const config = loadConfig({}, {
    host: '127.0.0.1',
    port: 0,
    home: path.join(database.dir, 'home'),
    databaseUrl: database.url,
    logLevel: process.env.FUNCX_TEST_LOG_LEVEL ?? 'silent',
    reapInterval: '200ms',
    pollFallbackInterval: '200ms',
    ...overrides,
  });
  const logger = options.logger ?? (options.logDestination ? createLogger('info', 'funcx-service', options.logDestination) : createLogger(config.logLevel));
  const service = await startService(config, { logger });
  t.teardown(() => service.close());
  // No quickstart (and no admin token) in oidc mode: callers bring the provider's tokens.
  const quickstart = service.quickstart ? JSON.parse(readFileSync(service.quickstart.file, 'utf8')) as { token: string } : { token: '' };
  const db = service.deps.db;
  let served: Promise<Doc> | undefined; // the document this service serves (its Action Provider base path)
  const live: LiveService = {
    kind,
    url: service.url,
    service,
    db,
    database,
    config,
    adminToken: quickstart.token,
    async tokenFor(identity, groups = []) {
      return (await createToken(db, { identity, groups })).token;
    },
    async call(method, urlPath, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const token = options.token ?? live.adminToken;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(service.url + urlPath, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      // Every answer is checked against the OpenAPI document (helpers/openapi.ts).
      served ??= fetch(`${service.url}/openapi.json`).then((r) => r.json() as Promise<Doc>);
      const problem = responseProblem(await served, method, urlPath, response.status, parsed, response.headers.get('content-type'));
      if (problem) throw new Error(`OpenAPI: ${problem}`);
      return { status: response.status, body: parsed, headers: response.headers } as ApiResponse;
    },
  };
  return live;
}

/** Registers the test once per database kind, each with its own live service. */
export function serviceTest(
  title: string,
  implementation: (t: ExecutionContext, live: LiveService) => Promise<void>,
  overrides: ConfigOverrides = {},
): void {
  registerPerDatabase(title, async (t, kind) => implementation(t, await startLiveService(t, kind, overrides)));
}

const validator = new Validator();

/** Asserts that a response body matches its schema in schemas/. */
export function assertSchema(t: ExecutionContext, schemaId: string, body: unknown): void {
  const { ok, errors } = validator.matches(schemaId, body);
  t.true(ok, `${schemaId}: ${errors}`);
}

/** Registers a python function and an endpoint owned by the admin; returns their ids and the endpoint credential. */
export async function functionAndEndpoint(live: LiveService, options: { token?: string; publicFunction?: boolean } = {}) {
  const fn = await live.call('POST', '/v3/functions', {
    token: options.token,
    body: { runtime: 'python', name: 'double', source: 'def double(x):\n    return 2 * x\n', entry_point: 'double', public: options.publicFunction ?? false },
  });
  const ep = await live.call('POST', '/v3/endpoints', { token: options.token, body: { name: 'test-endpoint' } });
  if (fn.status !== 201 || ep.status !== 201) throw new Error(`setup failed: ${JSON.stringify([fn.body, ep.body])}`);
  return { functionId: fn.body.function_uuid as string, endpointId: ep.body.endpoint_id as string, credential: ep.body.credential as string };
}

export const jsonPayload = (...args: unknown[]) => JSON.stringify({ args, kwargs: {} });
