/**
 * What the Action Provider tests share: callers with UUID identities (as Globus
 * identities are), every response checked against the spec-derived schemas in
 * schemas/, and a flow's polling of an action's status with backoff.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { assertSchema, type ApiResponse, type LiveService } from '../helpers/service.js';

export const BASE = '/actions';
/** The published PrincipalURN pattern (UUIDs): the tests' identities are UUIDs, so answers must match it exactly. */
const SPEC_PRINCIPAL = /^urn:globus:(auth:identity|groups:id):[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/;

export interface Caller {
  identity: string;
  urn: string;
  token: string;
}

export async function newCaller(live: LiveService, groups: string[] = []): Promise<Caller> {
  const identity = randomUUID();
  return { identity, urn: `urn:globus:auth:identity:${identity}`, token: await live.tokenFor(identity, groups) };
}

export type Kind = 'status' | 'introspection' | 'log' | 'enumeration';

/**
 * Calls the Action Provider and validates the answer: errors against
 * action-error.json, successes against the schema of `kind`.
 */
export async function ap(
  t: ExecutionContext,
  live: LiveService,
  kind: Kind,
  method: string,
  path: string,
  options: { token: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; base?: string },
): Promise<ApiResponse> {
  const response = await live.call(method, (options.base ?? BASE) + path, options);
  t.regex(response.headers.get('content-type') ?? '', /application\/json/, `${method} ${path}: JSON answer`);
  if (response.status >= 400) {
    assertSchema(t, 'action-error.json', response.body);
    return response;
  }
  if (kind === 'introspection') assertSchema(t, 'action-provider-introspection.json', response.body);
  if (kind === 'log') assertSchema(t, 'action-log.json', response.body);
  if (kind === 'status') assertStatus(t, response.body);
  if (kind === 'enumeration') {
    t.true(Array.isArray(response.body), 'the enumeration is a list of action statuses');
    for (const status of response.body as unknown[]) assertStatus(t, status);
  }
  return response;
}

export function assertStatus(t: ExecutionContext, status: unknown): void {
  assertSchema(t, 'action-status.json', status);
  const s = status as { creator_id: string; monitor_by: string[]; manage_by: string[] };
  for (const principal of [s.creator_id, ...s.monitor_by, ...s.manage_by]) t.regex(principal, SPEC_PRINCIPAL);
}

/** Polls status as a flow does (backoff 50 ms doubling to 1 s) until the action is no longer ACTIVE. */
export async function pollUntilDone(t: ExecutionContext, live: LiveService, token: string, actionId: string, timeoutMs = 120_000): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    const response = await ap(t, live, 'status', 'GET', `/actions/${actionId}`, { token });
    if (response.status !== 200) throw new Error(`status failed: ${JSON.stringify(response.body)}`);
    if (response.body.status !== 'ACTIVE') return response;
    if (Date.now() > deadline) throw new Error(`action ${actionId} still ACTIVE after ${timeoutMs} ms: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export async function registerPythonAs(live: LiveService, token: string, source: string, entryPoint: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await live.call('POST', '/v3/functions', { token, body: { runtime: 'python', source, entry_point: entryPoint, ...extra } });
  if (response.status !== 201) throw new Error(`register failed: ${JSON.stringify(response.body)}`);
  return response.body.function_uuid;
}

/** An endpoint with no agent behind it: its tasks stay queued (for cancel, deadline, idempotency). */
export async function idleEndpoint(live: LiveService, token: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await live.call('POST', '/v3/endpoints', { token, body: { name: 'idle', ...extra } });
  if (response.status !== 201) throw new Error(`register endpoint failed: ${JSON.stringify(response.body)}`);
  return response.body.endpoint_id;
}

export const DOUBLE = { source: 'def double(x):\n    return 2 * x\n', entry: 'double' };

export function v3Run(requestId: string, endpointId: string, tasks: { function_id: string; args?: unknown[]; kwargs?: Record<string, unknown> }[], extra: Record<string, unknown> = {}) {
  return { request_id: requestId, body: { endpoint_id: endpointId, tasks }, ...extra };
}
