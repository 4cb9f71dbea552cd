/**
 * Schema-driven fuzzing of every route the service mounts (native API,
 * endpoint protocol, Action Provider), on SQLite and MariaDB: inputs come from
 * the route's schema in schemas/, followed and broken (see schemaArbitrary.ts),
 * plus raw bodies no serializer would write (bad UTF-8, deep nesting, cut-off
 * JSON, the wrong media type), bad path ids and bad credentials.
 *
 * Every answer must be a 4xx in the route's JSON error shape, or a 2xx; never
 * a 5xx, never a hang; and the service still answers /healthz afterwards.
 * A schema-valid body with ids that exist is never refused as malformed.
 *
 * Seeded with a fixed number of cases so the normal run is reproducible and
 * short; FUNCX_FUZZ_RUNS=20000 (and FUNCX_FUZZ_SEED=n) for a longer one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { ExecutionContext } from 'ava';
import { Validator } from '../../src/http/validation.js';
import { packageRoot } from '../../src/util/paths.js';
import { ROUTE_BUILDERS } from '../../src/http/app.js';
import { checkJsonDepth } from '../../src/http/inputLimits.js';
import { actionRoutes } from '../../action-provider/routes.js';
import { functionAndEndpoint, jsonPayload, serviceTest, type LiveService } from '../helpers/service.js';
import { within } from '../helpers/within.js';
import { newCaller } from '../action-provider/support.js';
import { schemaArbitrary, type JsonSchema } from './schemaArbitrary.js';

const RUNS = Number(process.env.FUNCX_FUZZ_RUNS ?? 250);
const SEED = Number(process.env.FUNCX_FUZZ_SEED ?? 11);
/** Far longer than any answer takes; long-polls are kept to a second below. */
const ANSWER_MS = 15_000;

type Auth = 'user' | 'endpoint' | 'none' | 'ap';
interface Route {
  method: string;
  path: string;
  auth: Auth;
  body?: string | JsonSchema;
  query?: string | JsonSchema;
  /** The schema a 2xx answer follows (a number parsed to Infinity comes back as null and fails it). */
  answer?: string;
  /** A 2xx is not JSON (the Prometheus text format). */
  plainText?: boolean;
  /** Answers 501 by design (a documented upstream feature this service does not offer). */
  notImplemented?: boolean;
  /** Never aimed at the ids the fuzz run depends on (it would delete or re-key them). */
  destructive?: boolean;
}

const AP = '/actions';
const AP_LOG_QUERY: JsonSchema = { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100 }, marker: { type: 'string', maxLength: 200 } } };
const AP_LIST_QUERY: JsonSchema = { type: 'object', properties: { roles: { enum: ['creator', 'monitor_by', 'manage_by', 'creator_id'] }, status: { enum: ['active', 'inactive', 'succeeded', 'failed'] } } };

/** Every route, with what it reads. The test fails when a mounted route is missing here. */
const ROUTES: Route[] = [
  { method: 'GET', path: '/v2/version', auth: 'none' },
  { method: 'GET', path: '/healthz', auth: 'none' },
  { method: 'GET', path: '/readyz', auth: 'none' },
  // Off by default (404 in the JSON shape); when on, a 2xx is Prometheus text.
  { method: 'GET', path: '/metrics', auth: 'none', plainText: true },
  // The OpenAPI document, its readable reference and the web console (HTML, scripts, styles).
  { method: 'GET', path: '/openapi.json', auth: 'none' },
  { method: 'GET', path: '/docs', auth: 'none', plainText: true },
  { method: 'GET', path: '/docs/:asset', auth: 'none', plainText: true },
  { method: 'GET', path: '/console', auth: 'none', plainText: true },
  { method: 'GET', path: '/console/:asset', auth: 'none', plainText: true },
  { method: 'POST', path: '/v3/functions', auth: 'user', body: 'function-register.json', answer: 'function-register-response.json' },
  { method: 'GET', path: '/v3/functions', auth: 'user', query: 'function-search-query.json', answer: 'function-search-response.json' },
  { method: 'GET', path: '/v2/functions/:function_id', auth: 'user' },
  { method: 'GET', path: '/v3/functions/:function_id', auth: 'user', answer: 'function.json' },
  { method: 'PUT', path: '/v3/functions/:function_id', auth: 'user', body: 'function-update.json' },
  { method: 'DELETE', path: '/v2/functions/:function_id', auth: 'user', destructive: true },
  { method: 'DELETE', path: '/v3/functions/:function_id', auth: 'user', destructive: true },
  { method: 'POST', path: '/v3/endpoints', auth: 'user', body: 'endpoint-register.json', answer: 'endpoint-register-response.json' },
  { method: 'PUT', path: '/v3/endpoints/:endpoint_id', auth: 'user', body: 'endpoint-register.json', destructive: true },
  { method: 'GET', path: '/v3/endpoints', auth: 'user', query: 'endpoint-list-query.json', answer: 'endpoint-list-response.json' },
  { method: 'GET', path: '/v2/endpoints/:endpoint_id', auth: 'user' },
  { method: 'GET', path: '/v3/endpoints/:endpoint_id', auth: 'user' },
  { method: 'GET', path: '/v2/endpoints/:endpoint_id/status', auth: 'user' },
  { method: 'GET', path: '/v3/endpoints/:endpoint_id/status', auth: 'user' },
  { method: 'GET', path: '/v3/endpoints/:endpoint_id/activity', auth: 'user', query: 'endpoint-activity-query.json', answer: 'endpoint-activity.json' },
  { method: 'DELETE', path: '/v2/endpoints/:endpoint_id', auth: 'user', destructive: true },
  { method: 'DELETE', path: '/v3/endpoints/:endpoint_id', auth: 'user', destructive: true },
  { method: 'DELETE', path: '/v3/endpoints/:endpoint_id/credential', auth: 'user', destructive: true },
  { method: 'GET', path: '/v3/endpoints/:endpoint_id/allowed_functions', auth: 'user' },
  { method: 'PUT', path: '/v3/endpoints/:endpoint_id/allowed_functions', auth: 'user', body: 'allowed-functions.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/submit', auth: 'user', body: 'task-submit.json', answer: 'task-submit-response.json' },
  { method: 'POST', path: '/v3/submit', auth: 'user', body: 'batch-submit.json', answer: 'batch-submit-response.json' },
  { method: 'GET', path: '/v2/tasks/:task_id', auth: 'user' },
  { method: 'GET', path: '/v3/tasks/:task_id', auth: 'user' },
  { method: 'POST', path: '/v2/batch_status', auth: 'user', body: 'batch-status.json', answer: 'batch-status-response.json' },
  { method: 'POST', path: '/v3/tasks/wait', auth: 'user', body: 'task-wait.json', answer: 'task-wait-response.json' },
  { method: 'GET', path: '/v2/taskgroup/:task_group_id', auth: 'user', query: 'task-group-query.json', answer: 'task-group.json' },
  { method: 'POST', path: '/v3/tasks/:task_id/cancel', auth: 'user' },
  { method: 'GET', path: '/v3/tasks/:task_id/output', auth: 'user', query: 'task-output-query.json', answer: 'task-output.json' },
  { method: 'POST', path: '/v3/task_groups/:task_group_id/cancel', auth: 'user', answer: 'task-group-cancel-response.json' },
  { method: 'GET', path: '/v3/tasks', auth: 'user', query: 'task-list-query.json', answer: 'task-list-response.json' },
  { method: 'GET', path: '/v3/endpoints/:endpoint_id/tasks', auth: 'user', query: 'task-list-query.json', answer: 'task-list-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/cancels', auth: 'endpoint', body: 'endpoint-cancels.json', answer: 'endpoint-cancels-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/lease', auth: 'endpoint', body: 'endpoint-lease.json', answer: 'endpoint-lease-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/results', auth: 'endpoint', body: 'endpoint-results.json', answer: 'endpoint-results-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/heartbeat', auth: 'endpoint', body: 'endpoint-heartbeat.json', answer: 'endpoint-heartbeat-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/release', auth: 'endpoint', body: 'lease-release.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/state', auth: 'endpoint', body: 'endpoint-state-report.json', answer: 'endpoint-state-report-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/output', auth: 'endpoint', body: 'endpoint-output.json', answer: 'endpoint-output-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/polls/end', auth: 'endpoint', body: 'lease-polls-end.json', answer: 'lease-polls-end-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/reconcile', auth: 'endpoint', body: 'lease-reconcile.json', answer: 'lease-reconcile-response.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/user_demand', auth: 'endpoint', body: 'user-demand.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/user_endpoints', auth: 'endpoint', body: 'user-endpoint-create.json' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/user_demand/fail', auth: 'endpoint', body: 'user-tasks-fail.json' },
  { method: 'POST', path: '/v2/functions', auth: 'user', body: 'upstream-function-register.json' },
  { method: 'POST', path: '/v2/submit', auth: 'user', body: 'upstream-submit-v2.json' },
  { method: 'GET', path: '/v2/endpoints', auth: 'user' },
  { method: 'POST', path: '/v2/endpoints/:endpoint_id/lock', auth: 'user' },
  { method: 'POST', path: '/v3/endpoints/:endpoint_id/lock', auth: 'user' },
  // 501 on purpose: this service has no AMQP result stream (the upstream SDK then polls).
  { method: 'GET', path: '/v2/get_amqp_result_connection_url', auth: 'user', notImplemented: true },
  { method: 'GET', path: AP, auth: 'ap' },
  { method: 'POST', path: `${AP}/run`, auth: 'ap', body: 'run' },
  { method: 'POST', path: `${AP}/actions`, auth: 'ap', body: 'run' },
  { method: 'GET', path: `${AP}/:action_id/status`, auth: 'ap' },
  { method: 'GET', path: `${AP}/actions/:action_id`, auth: 'ap' },
  { method: 'POST', path: `${AP}/:action_id/cancel`, auth: 'ap', destructive: true },
  { method: 'POST', path: `${AP}/actions/:action_id/cancel`, auth: 'ap', destructive: true },
  { method: 'POST', path: `${AP}/:action_id/release`, auth: 'ap', destructive: true },
  { method: 'DELETE', path: `${AP}/actions/:action_id`, auth: 'ap', destructive: true },
  { method: 'GET', path: `${AP}/:action_id/log`, auth: 'ap', query: AP_LOG_QUERY },
  { method: 'GET', path: `${AP}/actions/:action_id/log`, auth: 'ap', query: AP_LOG_QUERY },
  { method: 'GET', path: `${AP}/actions`, auth: 'ap', query: AP_LIST_QUERY },
];

/** A long-poll's wait is the route doing its job, not a hang: valid cases wait at most a second. */
const SHORT_WAITS: Record<string, JsonSchema> = {
  wait_s: { type: 'number', minimum: 0, maximum: 1 },
  timeout_s: { type: 'number', minimum: 0, maximum: 1 },
  wait: { type: 'number', minimum: 0, maximum: 1 },
};

const schemaDir = path.join(packageRoot(), 'schemas');
const loadSchema = (id: string): JsonSchema => JSON.parse(readFileSync(path.join(schemaDir, id), 'utf8')) as JsonSchema;

function bodySchema(body: string | JsonSchema): JsonSchema {
  if (typeof body !== 'string') return body;
  if (body !== 'run') return loadSchema(body);
  // An ActionRequest whose body follows the provider's input schema (its refs resolve inside it).
  const request = loadSchema('action-request.json');
  return { ...request, properties: { ...request.properties, body: loadSchema('action-provider-input.json') } };
}

interface Known {
  ids: Record<string, string>;
  userToken: string;
  otherToken: string;
  endpointCredential: string;
  apToken: string;
}

interface Case {
  route: Route;
  urlPath: string;
  query: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** Valid by construction: the body follows its schema, the ids exist, the caller may act. */
  valid: boolean;
  /** Invalid whatever else it holds (bad UTF-8, nested past the limit, not JSON): a 2xx is a failure. */
  mustRefuse: boolean;
}

const BAD_IDS = ['not-a-uuid', '00000000-0000-0000-0000-00000000000g', 'x'.repeat(3000), '%00', '..%2F..%2Fetc', '%F0%9F%92%A9', '%C3%28', ' '];
const BAD_BYTES = [[0xc3, 0x28], [0x80], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]];

function caseArbitrary(known: Known): fc.Arbitrary<Case> {
  return fc.constantFrom(...ROUTES).chain((route) => {
    const params = [...route.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]);
    const knownIds = Object.values(known.ids);
    const paramArb = (name: string) => fc.oneof(
      { weight: route.destructive ? 0 : 6, arbitrary: fc.constant({ value: known.ids[name] ?? knownIds[0], known: true }) },
      { weight: 2, arbitrary: fc.uuid().map((value) => ({ value, known: false })) },
      { weight: 2, arbitrary: fc.constantFrom(...BAD_IDS).map((value) => ({ value, known: false })) },
    );
    const pathArb = fc.tuple(...params.map(paramArb)).map((values) => {
      let urlPath = route.path;
      params.forEach((name, i) => { urlPath = urlPath.replace(`:${name}`, values[i].value); });
      return { urlPath, known: values.every((v) => v.known) };
    });

    const schema = route.body ? bodySchema(route.body) : undefined;
    const bodyArb: fc.Arbitrary<RawBody> = schema
      ? fc.oneof(
        { weight: 4, arbitrary: schemaArbitrary(schema, { knownIds, mutate: false, overrides: SHORT_WAITS }).map((v) => withinDepth(JSON.stringify(v))) },
        { weight: 6, arbitrary: schemaArbitrary(schema, { knownIds, mutate: true, overrides: SHORT_WAITS }).map((v) => ({ body: JSON.stringify(v) ?? 'null', contentType: 'application/json', valid: false })) },
        { weight: 4, arbitrary: rawBodies(schema, knownIds) },
      )
      : fc.oneof(
        { weight: 6, arbitrary: fc.constant({ valid: true }) },
        { weight: 1, arbitrary: rawBodies({}, knownIds) },
      );

    const querySchema = route.query ? (typeof route.query === 'string' ? loadSchema(route.query) : route.query) : undefined;
    const queryArb = querySchema ? queryStrings(querySchema) : fc.constantFrom({ query: '', valid: true }, { query: '?offset=1e20&limit=1e309', valid: false });

    const authArb = fc.oneof(
      { weight: 8, arbitrary: fc.constant('right') },
      { weight: 1, arbitrary: fc.constantFrom('none', 'garbage', 'other') },
    );
    return fc.record({ path: pathArb, body: bodyArb, query: queryArb, auth: authArb }).map(({ path: p, body, query, auth }) => {
      const headers: Record<string, string> = {};
      const token = {
        right: { user: known.userToken, endpoint: known.endpointCredential, ap: known.apToken, none: '' }[route.auth],
        none: '', garbage: 'garbage.token.value', other: known.otherToken,
      }[auth];
      if (token) headers.authorization = `Bearer ${token}`;
      // fetch cannot send a GET with a body (nor would a client): those routes get none.
      const sendsBody = route.method !== 'GET' && body.body !== undefined;
      if (sendsBody && body.contentType) headers['content-type'] = body.contentType;
      const c: Case = {
        route, urlPath: p.urlPath, query: query.query, headers, body: sendsBody ? body.body : undefined,
        valid: p.known && body.valid && query.valid && auth === 'right',
        mustRefuse: (sendsBody && route.body !== undefined && body.refuse === true) || (typeof route.query === 'string' && !query.valid),
      };
      // fast-check prints a counterexample with this: short, whatever the body holds.
      return Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) });
    });
  });
}

/** A schema-valid body is valid only within the nesting limit (schemas cannot say it); past it, it must be refused. */
function withinDepth(body: string): RawBody {
  try {
    checkJsonDepth(body);
    return { body, contentType: 'application/json', valid: true };
  } catch {
    return { body, contentType: 'application/json', valid: false, refuse: true };
  }
}

interface RawBody { body?: Uint8Array | string; contentType?: string; valid: boolean; refuse?: boolean }

/** `{"a":{"a":...}}` as text, `depth` deep (JSON.stringify of such a value would overflow here too). */
const nestedText = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Bodies a JSON serializer never writes. */
function rawBodies(schema: JsonSchema, knownIds: readonly string[]): fc.Arbitrary<RawBody> {
  const sample = schemaArbitrary(schema, { knownIds, mutate: false, overrides: SHORT_WAITS }).map((v) => JSON.stringify(v));
  return fc.oneof(
    // Invalid UTF-8 spliced into an otherwise valid body (inside a string when there is one).
    fc.tuple(sample, fc.constantFrom(...BAD_BYTES), fc.nat()).map(([text, bytes, at]) => {
      // Inside a string value when there is one (in a key, the repaired key would be refused as unknown anyway).
      const value = text.indexOf('":"');
      const quote = text.indexOf('"');
      const cut = value >= 0 ? value + 3 : quote >= 0 ? quote + 1 : at % (text.length + 1);
      return { body: Buffer.concat([Buffer.from(text.slice(0, cut)), Buffer.from(bytes), Buffer.from(text.slice(cut))]), contentType: 'application/json', valid: false, refuse: true };
    }),
    // Cut off mid-way.
    fc.tuple(sample, fc.nat()).map(([text, at]) => ({ body: text.slice(0, at % Math.max(1, text.length)), contentType: 'application/json', valid: false })),
    // Nested far past the limit, bare or under a field.
    fc.constantFrom(5_000, 100_000).map((depth) => ({ body: `${'['.repeat(depth)}${']'.repeat(depth)}`, contentType: 'application/json', valid: false, refuse: true })),
    // An otherwise valid body whose free-form field (metadata, an action's body...) is nested far too deep.
    fc.tuple(sample, fc.constantFrom(...freeFormFields(schema)), fc.constantFrom(65, 20_000, 200_000)).map(([text, field, depth]) => ({
      body: text.startsWith('{') ? `${text.slice(0, -1)}${text === '{}' ? '' : ','}"${field}":${nestedText(depth)}}` : nestedText(depth),
      contentType: 'application/json', valid: false, refuse: true,
    })),
    // Not JSON, or not declared as JSON.
    fc.constantFrom('', 'null', '"a string"', '123', '[]', 'undefined', '{"a":1}{"b":2}', '\ufeff{}').map((body) => ({ body, contentType: 'application/json', valid: false })),
    sample.map((body) => ({ body, contentType: 'text/plain', valid: false, refuse: true })),
    sample.map((body) => ({ body, contentType: undefined, valid: false })),
  );
}

/** Top-level fields any JSON may go into (else an unknown field, which must be refused anyway). */
function freeFormFields(schema: JsonSchema): string[] {
  const free = Object.entries(schema.properties ?? {}).filter(([, p]) => (p.type === 'object' || p.type === undefined) && !p.properties && !p.$ref && !p.additionalProperties);
  return free.length > 0 ? free.map(([name]) => name) : ['unexpected_field'];
}

/** Whether a query text follows its parameter's schema (integers: plain decimal within bounds). */
function queryTextFits(property: JsonSchema, text: string): boolean {
  let decoded: string;
  try { decoded = decodeURIComponent(text); } catch { return false; }
  if (property.enum) return property.enum.includes(decoded);
  if (property.type === 'integer') {
    const n = /^-?(0|[1-9][0-9]*)$/.test(decoded) ? Number(decoded) : NaN;
    return Number.isSafeInteger(n) && !Object.is(n, -0) && n >= (property.minimum ?? -Infinity) && n <= (property.maximum ?? Infinity);
  }
  if (property.pattern && !new RegExp(property.pattern, 'u').test(decoded)) return false;
  if (property.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(decoded)) return false;
  if (property.format === 'date-time' && Number.isNaN(Date.parse(decoded))) return false;
  return decoded.length >= (property.minLength ?? 0) && decoded.length <= (property.maxLength ?? Infinity);
}

/** A query from its schema, its values followed or broken as text. */
function queryStrings(schema: JsonSchema): fc.Arbitrary<{ query: string; valid: boolean }> {
  const names = Object.keys(schema.properties ?? {});
  const badText = fc.constantFrom('1e20', '1e309', '-1', '-0', '0x10', '1.5', ' 5', '', 'abc', '9'.repeat(400), '%00', '%C3%28', 'NaN', '[]');
  const parameter = (name: string) => {
    const valid = schemaArbitrary(schema.properties?.[name] ?? {}, { knownIds: [], mutate: false }).map((v) => ({ text: encodeURIComponent(String(v)), valid: true }));
    const property = schema.properties?.[name] ?? {};
    return fc.option(fc.oneof(valid, badText.map((text) => ({ text, valid: queryTextFits(property, text) }))), { nil: undefined });
  };
  return fc.tuple(fc.tuple(...names.map(parameter)), fc.constantFrom('', '&unknown=1', `&${names[0] ?? 'x'}=1&${names[0] ?? 'x'}=2`))
    .map(([values, extra]) => {
      const parts = names.flatMap((name, i) => (values[i] === undefined ? [] : [`${name}=${values[i]!.text}`]));
      return { query: `?${parts.join('&')}${extra}`, valid: extra === '' && values.every((v) => v === undefined || v.valid) };
    });
}

async function send(live: LiveService, c: Case): Promise<{ status: number; contentType: string; body: unknown }> {
  const response = await within(ANSWER_MS, `${c.route.method} ${c.urlPath} answers`, fetch(live.url + c.urlPath + c.query, { method: c.route.method, headers: c.headers, body: c.body }));
  const text = await within(ANSWER_MS, `${c.route.method} ${c.urlPath} body`, response.text());
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* asserted below */ }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
}

/** Every route the service mounts, read from the routers themselves. */
function mountedRoutes(live: LiveService): string[] {
  const deps = live.service.deps;
  const routers = ROUTE_BUILDERS.map((build) => build(deps));
  const found: string[] = [];
  for (const router of routers) for (const layer of router.stack) for (const m of layer.methods) if (m !== 'HEAD') found.push(`${m} ${layer.path}`);
  for (const layer of actionRoutes(deps, AP).stack) for (const m of layer.methods) if (m !== 'HEAD') found.push(`${m} ${layer.path}`);
  return found;
}

async function setUp(live: LiveService): Promise<Known> {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const submitted = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { tasks: { [functionId]: [jsonPayload(1)] } } });
  const ap = await newCaller(live);
  // The Action Provider caller gets its own function and endpoint, so its runs can be valid.
  const apSide = await functionAndEndpoint(live, { token: ap.token });
  const run = await live.call('POST', `${AP}/run`, { token: ap.token, body: { request_id: 'fuzz', body: { endpoint_id: apSide.endpointId, tasks: [{ function_id: apSide.functionId, args: [1] }] } } });
  if (submitted.status !== 200 || run.status !== 202) throw new Error(`setup failed: ${JSON.stringify([submitted.body, run.body])}`);
  return {
    ids: {
      function_id: functionId, endpoint_id: endpointId, task_id: submitted.body.tasks[functionId][0], task_group_id: submitted.body.task_group_id,
      action_id: run.body.action_id, ap_function: apSide.functionId, ap_endpoint: apSide.endpointId,
    },
    userToken: live.adminToken,
    otherToken: await live.tokenFor('someone-else'),
    endpointCredential: credential,
    apToken: ap.token,
  };
}

const validator = new Validator();

function describeCase(c: Case): string {
  const body = typeof c.body === 'string' ? JSON.stringify(c.body.length > 300 ? `${c.body.slice(0, 300)}… (${c.body.length} chars)` : c.body) : c.body ? `${c.body.length} raw bytes` : 'no body';
  return `${c.route.method} ${c.urlPath.slice(0, 120)}${c.query.slice(0, 200)} auth=${c.headers.authorization ? 'yes' : 'no'} type=${c.headers['content-type'] ?? '-'} body=${body}`;
}

function checkAnswer(t: ExecutionContext, c: Case, answer: { status: number; contentType: string; body: unknown }): void {
  const what = describeCase(c);
  if (answer.status >= 500 && !(answer.status === 501 && c.route.notImplemented)) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
  if (answer.status < 200 || (answer.status >= 300 && answer.status < 400)) throw new Error(`${what}: unexpected status ${answer.status}`);
  if (!/application\/json/.test(answer.contentType) && !(c.route.plainText && answer.status < 300)) throw new Error(`${what}: answered ${answer.contentType || 'no content type'}`);
  if (answer.status < 300 && c.mustRefuse) throw new Error(`${what}: invalid input accepted with ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  // A blank last id (' ') leaves a path ending in '/' once the client trims it: that names the collection
  // route (GET /v3/functions/ is the search), whose answer has its own shape.
  const namesCollection = /\/\s*$/.test(c.urlPath);
  if (answer.status < 300 && c.route.answer && !namesCollection) {
    const { ok, errors } = validator.matches(c.route.answer, answer.body);
    if (!ok) throw new Error(`${what}: ${answer.status} answer does not follow ${c.route.answer}: ${errors}`);
  }
  if (answer.status >= 400) {
    if (answer.status === 501) return;
    const shape = c.route.path.startsWith(AP) ? 'action-error.json' : 'error.json';
    const { ok, errors } = validator.matches(shape, answer.body);
    if (!ok) throw new Error(`${what}: ${answer.status} not in the ${shape} shape: ${errors}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    const code = (answer.body as { code: string }).code;
    // Input that follows the schema, about ids that exist, from the right caller, is never "malformed".
    if (c.valid && c.route.auth !== 'ap' && code === 'RequestMalformed' && !SEMANTIC_400.some((r) => r.test((answer.body as { reason: string }).reason))) {
      throw new Error(`${what}: a schema-valid request was refused as malformed: ${JSON.stringify(answer.body)}`);
    }
  }
  t.pass();
}

/** 400s a schema cannot express (a JSON payload that is not {args, kwargs}, a task group of another endpoint...). */
const SEMANTIC_400 = [/payload/i, /task_group_id/, /serializer/i, /duplicate/i];

serviceTest('fuzz: every route answers schema-derived, broken and raw inputs with a 2xx or a JSON 4xx, never a 5xx or a hang', async (t, live) => {
  const mounted = mountedRoutes(live);
  const table = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
  t.deepEqual(mounted.filter((r) => !table.has(r)), [], 'every mounted route has a fuzz entry (add new routes to ROUTES)');
  t.deepEqual([...table].filter((r) => !mounted.includes(r)), [], 'every fuzz entry is a mounted route');

  const known = await setUp(live);
  const perRoute = new Map<string, number>();
  const statuses = new Map<number, number>();
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(caseArbitrary(known), async (c) => {
      const answer = await send(live, c);
      checkAnswer(t, c, answer);
      perRoute.set(`${c.route.method} ${c.route.path}`, (perRoute.get(`${c.route.method} ${c.route.path}`) ?? 0) + 1);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (c.mustRefuse) refused += 1;
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
  );
  t.log(`${RUNS} cases (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${perRoute.size}/${ROUTES.length} routes hit; ${refused} cases invalid whatever else they hold`);
  const health = await live.call('GET', '/healthz');
  t.is(health.status, 200, 'the service still answers /healthz');
  t.true(statuses.has(200) || statuses.has(201) || statuses.has(202), 'some cases were valid and accepted');
}, { maxBodyBytes: 4 * 1024 * 1024, maxPayloadBytes: 1024 * 1024, maxResultBytes: 1024 * 1024 });

/** Valid cases per route in the second test (FUNCX_FUZZ_VALID_RUNS for more). */
const VALID_RUNS = Number(process.env.FUNCX_FUZZ_VALID_RUNS ?? 8);

/** Only valid requests for one route: known ids, a schema-following body within the depth limit, a valid query, its caller. */
function validCaseArbitrary(known: Known, route: Route): fc.Arbitrary<Case> {
  const knownIds = Object.values(known.ids);
  let urlPath = route.path;
  for (const [, name] of route.path.matchAll(/:([a-z_]+)/g)) urlPath = urlPath.replace(`:${name}`, known.ids[name] ?? knownIds[0]);
  const schema = route.body ? bodySchema(route.body) : undefined;
  const bodyArb: fc.Arbitrary<RawBody> = schema
    ? schemaArbitrary(schema, { knownIds, mutate: false, overrides: SHORT_WAITS }).map((v) => withinDepth(JSON.stringify(v))).filter((b) => b.valid)
    : fc.constant({ valid: true });
  const querySchema = route.query ? (typeof route.query === 'string' ? loadSchema(route.query) : route.query) : undefined;
  const queryArb = querySchema ? queryStrings(querySchema).filter((q) => q.valid) : fc.constant({ query: '', valid: true });
  const token = { user: known.userToken, endpoint: known.endpointCredential, ap: known.apToken, none: '' }[route.auth];
  return fc.record({ body: bodyArb, query: queryArb }).map(({ body, query }) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body.body !== undefined) headers['content-type'] = body.contentType ?? 'application/json';
    const c: Case = { route, urlPath, query: query.query, headers, body: body.body, valid: true, mustRefuse: false };
    return Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) });
  });
}

/**
 * What a schema-valid request, about ids that exist, from the route's caller, is answered with,
 * as docs/api.md and the OpenAPI document say: the success status, or (where a schema cannot say
 * it) the named refusals. The endpoint protocol's routes accept every valid request: an unknown
 * task or lease in a heartbeat, results, release, polls/end or reconcile body is reported in
 * the 200 answer, not refused.
 */
const VALID_ANSWERS: Record<string, string[]> = {
  'POST /v3/functions': ['201'],
  // A source that does not define its entry point is refused as a payload problem (SEMANTIC_400).
  'PUT /v3/functions/:function_id': ['200', '400 RequestMalformed'],
  'POST /v3/endpoints': ['201', '400 RequestMalformed'],
  'PUT /v3/endpoints/:endpoint_id/allowed_functions': ['200'],
  // The generated function ids are any known id (an endpoint's, a task's): not found unless it is the function.
  'POST /v3/endpoints/:endpoint_id/submit': ['200', '404 FunctionNotFound'],
  'POST /v3/submit': ['200', '404 EndpointNotFound', '404 FunctionNotFound'],
  'POST /v2/submit': ['200', '404 EndpointNotFound', '404 FunctionNotFound'],
  'POST /v2/batch_status': ['200'],
  'POST /v3/tasks/wait': ['200'],
  'POST /v3/endpoints/:endpoint_id/lease': ['200'],
  'POST /v3/endpoints/:endpoint_id/results': ['200'],
  'POST /v3/endpoints/:endpoint_id/heartbeat': ['200'],
  'POST /v3/endpoints/:endpoint_id/release': ['200'],
  'POST /v3/endpoints/:endpoint_id/polls/end': ['200'],
  'POST /v3/endpoints/:endpoint_id/reconcile': ['200'],
  // The cancel watch answers at once or at wait_s (short in fuzz cases), naming none of these tasks.
  'POST /v3/endpoints/:endpoint_id/cancels': ['200'],
  'POST /v3/endpoints/:endpoint_id/state': ['200'],
  // Chunks under leases the endpoint does not hold are reported refused in the 200 answer.
  'POST /v3/endpoints/:endpoint_id/output': ['200'],
  // Only a multi-user endpoint may ask for user endpoints; the fuzz run's endpoint is a plain one.
  'POST /v3/endpoints/:endpoint_id/user_demand': ['403 EndpointAccessForbidden'],
  'POST /v3/endpoints/:endpoint_id/user_endpoints': ['403 EndpointAccessForbidden'],
  'POST /v3/endpoints/:endpoint_id/user_demand/fail': ['403 EndpointAccessForbidden'],
  'POST /v2/functions': ['200', '422 UpstreamOptionUnsupported'],
  // The action body's schema allows task lists the provider then checks against its functions and endpoints.
  'POST /actions/run': ['202', '422 RequestValidationError', '404 FunctionNotFound', '404 EndpointNotFound'],
  'POST /actions/actions': ['202', '422 RequestValidationError', '404 FunctionNotFound', '404 EndpointNotFound'],
};

serviceTest('fuzz: every route that reads a body gets schema-valid requests, and answers each as documented (the endpoint protocol\'s with 200)', async (t, live) => {
  const known = await setUp(live);
  const bodyRoutes = ROUTES.filter((r) => r.body !== undefined && !r.destructive).map((r) => [`${r.method} ${r.path}`, r] as const);
  t.deepEqual(bodyRoutes.map(([key]) => key).filter((key) => !VALID_ANSWERS[key]), [], 'every route that reads a body says how it answers a valid request (add it to VALID_ANSWERS)');
  const unexpected: string[] = [];
  const answered: Record<string, Record<string, number>> = {};
  for (const [key, route] of bodyRoutes) {
    answered[key] = {};
    for (const c of fc.sample(validCaseArbitrary(known, route), { seed: SEED, numRuns: VALID_RUNS })) {
      const answer = await send(live, c);
      checkAnswer(t, c, answer);
      const label = answer.status < 300 ? String(answer.status) : `${answer.status} ${(answer.body as { code?: string }).code}`;
      answered[key][label] = (answered[key][label] ?? 0) + 1;
      if (!VALID_ANSWERS[key]?.includes(label)) unexpected.push(`${describeCase(c)}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  }
  t.deepEqual(unexpected, [], 'valid requests answered otherwise than documented');
  for (const [key] of bodyRoutes) t.is(Object.values(answered[key]).reduce((a, b) => a + b, 0), VALID_RUNS, `${key}: ${VALID_RUNS} valid requests sent`);
  t.log(JSON.stringify(answered));
}, { maxBodyBytes: 4 * 1024 * 1024, maxPayloadBytes: 1024 * 1024, maxResultBytes: 1024 * 1024 });
