/** Submitting and awaiting tasks over the REST API, as an SDK would (tests only). */
import type { LiveService } from './service.js';

export async function registerPython(live: LiveService, source: string, entryPoint: string, token?: string): Promise<string> {
  const response = await live.call('POST', '/v3/functions', { token, body: { runtime: 'python', source, entry_point: entryPoint } });
  if (response.status !== 201) throw new Error(`register failed: ${JSON.stringify(response.body)}`);
  return response.body.function_uuid;
}

export async function submit(
  live: LiveService,
  endpointId: string,
  functionId: string,
  argsList: unknown[][],
  options: { serializer?: 'json' | 'pickle'; payloads?: string[]; token?: string } = {},
): Promise<string[]> {
  const payloads = options.payloads ?? argsList.map((args) => JSON.stringify({ args, kwargs: {} }));
  const response = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, {
    token: options.token,
    body: { serializer: options.serializer ?? 'json', tasks: { [functionId]: payloads } },
  });
  if (response.status !== 200) throw new Error(`submit failed: ${JSON.stringify(response.body)}`);
  return response.body.tasks[functionId];
}

/** Waits (long-poll) until every task finished; returns their records by id. */
export async function waitForTasks(live: LiveService, taskIds: string[], timeoutMs = 120_000, token?: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const done: Record<string, unknown> = {};
  const deadline = Date.now() + timeoutMs;
  let pending = [...taskIds];
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`tasks still pending after ${timeoutMs} ms: ${pending.join(', ')}`);
    const response = await live.call('POST', '/v3/tasks/wait', { token, body: { task_ids: pending.slice(0, 1000), timeout_s: 10 } });
    if (response.status !== 200) throw new Error(`wait failed: ${JSON.stringify(response.body)}`);
    Object.assign(done, response.body.done);
    pending = pending.filter((id) => !(id in done));
  }
  return done as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
