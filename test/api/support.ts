/**
 * Small steps the API tests share: a user submitting, and the test playing the
 * endpoint agent (lease, post results, heartbeat) with its credential.
 */
import type { ExecutionContext } from 'ava';
import { assertSchema, type ApiResponse, type LiveService } from '../helpers/service.js';

export const HELLO_WORLD = {
  runtime: 'python',
  name: 'hello_world',
  source: 'def hello_world():\n    return "Hello World!"\n',
  entry_point: 'hello_world',
  description: 'hello world function',
} as const;

export const NIL_UUID = '00000000-0000-4000-8000-000000000000';

/** Registers a function (python unless `body` says otherwise); returns its id. */
export async function registerFunction(live: LiveService, body: Record<string, unknown> = {}, token?: string): Promise<string> {
  const response = await live.call('POST', '/v3/functions', { token, body: { ...HELLO_WORLD, ...body } });
  if (response.status !== 201) throw new Error(`register function failed: ${JSON.stringify(response.body)}`);
  return response.body.function_uuid;
}

/** Registers an endpoint; returns its id and credential. */
export async function registerEndpoint(live: LiveService, body: Record<string, unknown> = {}, token?: string): Promise<{ endpointId: string; credential: string }> {
  const response = await live.call('POST', '/v3/endpoints', { token, body: { name: 'ep', ...body } });
  if (response.status !== 201) throw new Error(`register endpoint failed: ${JSON.stringify(response.body)}`);
  return { endpointId: response.body.endpoint_id, credential: response.body.credential };
}

/** POST /v3/endpoints/:id/submit with one function's payloads; the raw response. */
export function submitTo(
  live: LiveService,
  endpointId: string,
  functionId: string,
  payloads: string[],
  options: { token?: string; headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
): Promise<ApiResponse> {
  return live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
    token: options.token,
    headers: options.headers,
    body: { tasks: { [functionId]: payloads }, ...options.extra },
  });
}

/** Submits and returns the task ids; fails the setup loudly on anything but 200. */
export async function submitOk(live: LiveService, endpointId: string, functionId: string, payloads: string[], token?: string): Promise<string[]> {
  const response = await submitTo(live, endpointId, functionId, payloads, { token });
  if (response.status !== 200) throw new Error(`submit failed: ${JSON.stringify(response.body)}`);
  return response.body.tasks[functionId];
}

export function lease(live: LiveService, endpointId: string, credential: string | undefined, maxTasks = 10, waitS = 0): Promise<ApiResponse> {
  return live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential ?? '', body: { max_tasks: maxTasks, wait_s: waitS } });
}

export interface PostedResult {
  task_id: string;
  lease_token: string;
  status: 'success' | 'failed';
  result?: string;
  result_serializer?: 'json' | 'pickle' | 'globus-compute';
  exception?: { type: string; message: string; traceback?: string };
  retry?: boolean;
}

export function postResults(live: LiveService, endpointId: string, credential: string, results: PostedResult[]): Promise<ApiResponse> {
  return live.call('POST', `/v3/endpoints/${endpointId}/results`, { token: credential, body: { results } });
}

export function heartbeat(
  live: LiveService,
  endpointId: string,
  credential: string,
  report: Record<string, unknown> = {},
): Promise<ApiResponse> {
  return live.call('POST', `/v3/endpoints/${endpointId}/heartbeat`, {
    token: credential,
    body: { total_workers: 1, idle_workers: 1, outstanding_tasks: 0, pending_tasks: 0, ...report },
  });
}

/** Reads a task as its submitter; asserts the record matches task.json. */
export async function getTask(t: ExecutionContext, live: LiveService, taskId: string, token?: string) {
  const response = await live.call('GET', `/v2/tasks/${taskId}`, { token });
  t.is(response.status, 200, JSON.stringify(response.body));
  assertSchema(t, 'task.json', response.body);
  return response.body;
}

/**
 * Resolves once the service has a long-poll subscribed (a lease or a wait), so
 * the next step really exercises the wake-up. Bounded: it gives up after ~10 s,
 * and the caller's own assertions still decide the test.
 */
export async function pollSubscribed(live: LiveService, atLeast = 1): Promise<boolean> {
  for (let i = 0; i < 2000; i++) {
    if (live.service.deps.wakeups.size >= atLeast) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

/** The number of rows in the ledger's tasks table. */
export async function taskCount(live: LiveService): Promise<number> {
  return Number((await live.db('tasks').count({ n: '*' }))[0].n);
}
