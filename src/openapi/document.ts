/**
 * Assembles the OpenAPI 3.1 document from the route table (routeTable.ts),
 * the schemas in schemas/ (each becomes components.schemas.<name>, its internal
 * $refs re-pointed there; nothing is copied by hand) and the annotations. Runs
 * at build time (scripts/build-openapi.ts writes dist/openapi.json); the
 * service serves that file.
 *
 * Errors: every route lists the codes it shares with all routes of its kind
 * (401 with a credential, 400 with a body/query/UUID parameter, 413/415 with a
 * body, 429, 500, 503) plus its own; each code's status comes from its class.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as serviceErrors from '../errors.js';
import { actionProviderPart } from '../../action-provider/index.js';
import { ANNOTATIONS, type Annotation } from './annotations.js';
import type { RouteEntry } from './routeTable.js';

type Json = Record<string, unknown>;

export const OPENAPI_VERSION = '3.1.0';

/** Every error code and its HTTP status, read from the error classes themselves. */
export function errorStatuses(): Map<string, number> {
  const statuses = new Map<string, number>();
  for (const [name, value] of Object.entries(serviceErrors as Record<string, unknown>)) {
    if (typeof value !== 'function' || !/^[A-Z]/.test(name)) continue;
    const proto = (value as { prototype?: unknown }).prototype;
    if (!(proto instanceof serviceErrors.FuncxError)) continue;
    const status = (Object.create(proto as object) as { status?: number }).status
      ?? (new (value as new (...a: unknown[]) => { status: number })('', 1)).status;
    if (typeof status === 'number') statuses.set(name, status);
  }
  // The Action Provider's own codes, and those it answers in place of the service's.
  for (const [code, status] of actionProviderPart.errorStatuses()) statuses.set(code, status);
  return statuses;
}

/** schemas/*.json as components, keyed by file name without .json. */
export function schemaComponents(schemaDir: string): Record<string, Json> {
  const components: Record<string, Json> = {};
  for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.json')).sort()) {
    const name = file.replace(/\.json$/, '');
    const schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as Json;
    delete schema.$id;
    components[name] = repoint(schema, name) as Json;
  }
  return components;
}

/** $refs inside schema `name` re-pointed into components (repointRef). */
function repoint(value: unknown, name: string): unknown {
  if (Array.isArray(value)) return value.map((v) => repoint(v, name));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    out[key] = key === '$ref' && typeof v === 'string' ? repointRef(v, name) : repoint(v, name);
  }
  return out;
}

/** "#/x" (this schema) or "other.json#/x" (another file in schemas/) as a pointer into components. */
function repointRef(ref: string, name: string): string {
  const [file, pointer = ''] = ref.split('#');
  const target = file ? file.replace(/\.json$/, '') : name;
  return `#/components/schemas/${target}${pointer.replace(/\/$/, '')}`;
}

export const componentRef = (schemaFile: string) => ({ $ref: `#/components/schemas/${schemaFile.replace(/\.json$/, '')}` });

/** The annotation key of a route (Action Provider routes relative to their base path). */
export function annotationKey(route: RouteEntry, actionProviderPrefix: string): string {
  if (route.actionProvider) return `AP ${route.method} ${route.template.slice(actionProviderPrefix.length)}`;
  return `${route.method} ${route.template}`;
}

export interface BuildInput {
  routes: RouteEntry[];
  schemaDir: string;
  version: string;
  actionProviderPrefix: string;
}

export function buildDocument(input: BuildInput): Json {
  const statuses = errorStatuses();
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of input.routes) {
    const note: Annotation | undefined = ANNOTATIONS[annotationKey(route, input.actionProviderPrefix)];
    (paths[route.template] ??= {})[route.method.toLowerCase()] = operation(route, note, statuses);
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'funcX-TS',
      version: input.version,
      description: 'Federated Function-as-a-Service: the native API, the endpoint protocol, the Globus Action Provider API, and the routes the upstream SDKs call. Errors are `{code, reason, http_status_code}` (error.json); under the Action Provider base path they are `{code, description}` (action-error.json). Assembled at build time from the route table and schemas/.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'native', description: 'The native API (users: API tokens or OIDC access tokens)' },
      { name: 'endpoint-protocol', description: 'What endpoint agents call, with their own credential (fxe_...)' },
      { name: 'action-provider', description: 'The Globus Actions API, under FUNCX_ACTION_PROVIDER_BASE_PATH' },
      { name: 'upstream-sdk', description: 'Routes only the upstream funcX / Globus Compute SDKs call' },
      { name: 'operations', description: 'Health, readiness, metrics, this document, the console' },
    ],
    paths,
    components: {
      schemas: schemaComponents(input.schemaDir),
      securitySchemes: {
        user: { type: 'http', scheme: 'bearer', description: 'A local API token (fxu_...) or an OIDC access token' },
        endpoint: { type: 'http', scheme: 'bearer', description: 'An endpoint credential (fxe_...)' },
        metrics: { type: 'http', scheme: 'bearer', description: 'FUNCX_METRICS_TOKEN' },
      },
    },
  };
}

function tagOf(route: RouteEntry): string {
  if (route.actionProvider) return 'action-provider';
  if (route.mark.auth === 'endpoint') return 'endpoint-protocol';
  if (!route.mark.auth) return 'operations';
  if (/^(POST \/v2\/(functions|submit)|GET \/v2\/endpoints$|POST \/v2\/endpoints\/\{endpoint_id\}\/lock|GET \/v2\/get_amqp)/.test(`${route.method} ${route.template}`)) return 'upstream-sdk';
  return 'native';
}

function operation(route: RouteEntry, note: Annotation | undefined, statuses: Map<string, number>): Json {
  const auth = note?.auth ?? route.mark.auth ?? 'none';
  const body = route.mark.body ?? note?.body;
  const pathParams = [...route.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const op: Json = {
    operationId: `${route.method.toLowerCase()}${route.template.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: note?.summary ?? `${route.method} ${route.template}`,
    tags: [tagOf(route)],
    security: auth === 'none' ? [] : auth === 'optional-user' ? [{}, { user: [] }] : [{ [auth === 'metrics-token' ? 'metrics' : auth]: [] }],
  };
  const parameters: Json[] = pathParams.map((name) => ({
    name, in: 'path', required: true,
    schema: route.mark.uuidParams?.includes(name) ? { type: 'string', format: 'uuid' } : { type: 'string' },
  }));
  if (route.mark.query) {
    parameters.push({ name: 'query', in: 'query', required: false, style: 'form', explode: true, schema: componentRef(route.mark.query), description: `Query parameters: ${route.mark.query}` });
  }
  if (parameters.length > 0) op.parameters = parameters;
  if (body) op.requestBody = { required: true, content: { 'application/json': { schema: componentRef(body) } } };

  const ok = String(note?.status ?? 200);
  const success: Json = { description: note?.summary ?? 'success' };
  if (note?.response) {
    const schema = Array.isArray(note.response) ? { anyOf: note.response.map(componentRef) } : componentRef(note.response);
    success.content = { 'application/json': { schema } };
  }
  else if (note?.produces) success.content = { [note.produces]: { schema: { type: 'string' } } };
  else success.content = { 'application/json': { schema: { type: 'object' } } };
  const responses: Json = { [ok]: success };
  if (route.actionProvider && ok === '202') responses['200'] = { description: 'A replay of an earlier run (same request_id and body)', content: { 'application/json': { schema: componentRef('action-status.json') } } };

  const codes = new Set<string>(note?.errors ?? []);
  const shared = route.actionProvider
    ? ['NotFound', 'MethodNotAllowed', 'TooManyRequests', 'ActionProviderError', 'DatabaseUnavailable', 'IdentityProviderUnavailable', 'StorageFull', ...(auth === 'user' || auth === 'optional-user' ? ['UnauthorizedRequest'] : []), ...(body ? ['BadActionRequest', 'RequestBodyTooLarge', 'UnsupportedMediaType'] : []), ...(pathParams.length > 0 ? ['BadActionRequest'] : [])]
    : ['MethodNotAllowed', 'InternalError', ...(auth === 'none' ? [] : ['TooManyRequests']), ...(route.mark.auth || route.template === '/healthz' || route.template === '/readyz' ? ['DatabaseUnavailable'] : []),
      // A write refused for space (and /readyz while the database is full).
      ...(route.mark.auth || route.template === '/readyz' ? ['StorageFull'] : []),
      ...(auth === 'user' ? ['UserUnauthenticated', 'IdentityProviderUnavailable'] : []), ...(auth === 'endpoint' ? ['EndpointCredentialInvalid'] : []), ...(auth === 'metrics-token' ? ['UserUnauthenticated'] : []),
      ...(body || route.mark.query ? ['RequestMalformed'] : []), ...(body ? ['RequestBodyTooLarge', 'UnsupportedMediaType'] : []), ...(route.mark.uuidParams?.length ? ['InvalidUUID'] : [])];
  for (const code of shared) codes.add(code);
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const status = statuses.get(code);
    if (status === undefined) throw new Error(`${route.method} ${route.template}: unknown error code ${code}`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const errorSchema = componentRef(route.actionProvider ? 'action-error.json' : 'error.json');
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[String(status)] = {
      description: list.sort().join(', '),
      'x-error-codes': list.sort(),
      content: { 'application/json': { schema: errorSchema } },
    };
  }
  op.responses = responses;
  if (!note) op['x-undocumented'] = true;
  return op;
}
