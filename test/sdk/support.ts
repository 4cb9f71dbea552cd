/** Shared by the SDK tests: a Client on a live service, and waiting for tasks with the SDK's own long-poll. */
import { Client } from '../../sdk/index.js';
import type { LiveService } from '../helpers/service.js';

/** A client configured by arguments only (FUNCX_HOME pointed at the service's, so no file of the user's is read). */
export function clientFor(live: LiveService, options: { endpointId?: string; token?: string } = {}): Client {
  return new Client({ serviceUrl: live.url, token: options.token ?? live.adminToken, endpointId: options.endpointId, env: { FUNCX_HOME: live.config.home } });
}

/** Long-polls until none of the tasks is pending (bounded). */
export async function settle(client: Client, taskIds: string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...taskIds];
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`tasks still pending after ${timeoutMs} ms: ${pending.join(', ')}`);
    const answer = await client.waitForTasks(pending, { timeoutS: 10 });
    pending = answer.pending;
  }
}
