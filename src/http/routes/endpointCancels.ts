/**
 * The cancel watch: an endpoint agent that holds tasks keeps this long-poll
 * open with their ids, and it answers as soon as one of them is cancelled
 * (cancelNotice.ts wakes it), so a running task is stopped within a moment
 * of its cancel, not at the agent's next heartbeat (which still says it too,
 * for agents without the watch). Read-only: it extends and changes nothing.
 */
import Router from '@koa/router';
import { requireEndpointCredential } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, validBody } from '../validatedInput.js';
import { longPoll } from '../longPoll.js';
import { endpointCancelKey } from '../cancelNotice.js';
import { taskKey } from '../../wakeups.js';
import { readCancelled } from '../../ledger/readCancelled.js';
import { leaseQueues } from '../../ledger/leaseForEndpoint.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { EndpointCancelsRequest } from '@funcx-ts/shared/wire/endpoint-cancels.js';
import type { EndpointCancelsResponse } from '@funcx-ts/shared/wire/endpoint-cancels-response.js';

export function endpointCancelRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config } = deps;
  const router = new Router<RequestState>();

  router.post('/v3/endpoints/:endpoint_id/cancels', uuidParams('endpoint_id'), requireEndpointCredential(db), validBody(validator, 'endpoint-cancels.json'), async (ctx) => {
    const request = bodyIn<Required<EndpointCancelsRequest>>(ctx);
    // A per-user endpoint runs tasks queued for its multi-user endpoint too.
    const queues = leaseQueues(ctx.state.endpoint!);
    const taskIds = [...new Set(request.task_ids.map((id) => id.toLowerCase()))];
    // The endpoint's cancel key (cancelNotice.ts), and each task's own key: every path that
    // cancels (a user, a task group, an action cancelled or past its deadline) wakes that one.
    const cancel = await longPoll(deps, ctx.res, {
      waitMs: request.wait_s * 1000,
      keys: [...queues.map(endpointCancelKey), ...taskIds.map(taskKey)],
      recheckMs: config.pollFallbackInterval,
      look: async () => (taskIds.length === 0 ? [] : await readCancelled(db, { endpointIds: queues, taskIds })),
      done: (cancelled) => cancelled.length > 0,
    });
    const response: EndpointCancelsResponse = { cancel };
    ctx.body = response;
  });

  return router;
}
