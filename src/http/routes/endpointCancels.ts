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
import { bodyIn, validBody } from '../validate.js';
import { abortOnClientGone } from '../clientGone.js';
import { endpointCancelKey } from '../cancelNotice.js';
import { taskKey } from '../../wakeups.js';
import { readCancelled } from '../../ledger/readCancelled.js';
import { leaseQueues } from '../../ledger/leaseForEndpoint.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { EndpointCancelsRequest } from '@funcx-ts/shared/wire/endpoint-cancels.js';
import type { EndpointCancelsResponse } from '@funcx-ts/shared/wire/endpoint-cancels-response.js';

export function endpointCancelRoutes({ db, validator, config, wakeups, shutdown }: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();

  router.post('/v3/endpoints/:endpoint_id/cancels', uuidParams('endpoint_id'), requireEndpointCredential(db), validBody(validator, 'endpoint-cancels.json'), async (ctx) => {
    const request = bodyIn<Required<EndpointCancelsRequest>>(ctx);
    // A per-user endpoint runs tasks queued for its multi-user endpoint too.
    const queues = leaseQueues(ctx.state.endpoint!);
    const taskIds = [...new Set(request.task_ids.map((id) => id.toLowerCase()))];
    const deadline = Date.now() + request.wait_s * 1000;
    const clientGone = abortOnClientGone(ctx.res);
    let cancel: string[] = [];
    for (;;) {
      // Subscribe before looking, so a cancel between the look and the wait still wakes us.
      // The endpoint's cancel key (cancelNotice.ts), and each task's own key: every path that
      // cancels (a user, a task group, an action cancelled or past its deadline) wakes that one.
      const subscription = wakeups.subscribe([...queues.map(endpointCancelKey), ...taskIds.map(taskKey)]);
      try {
        cancel = taskIds.length === 0 ? [] : await readCancelled(db, { endpointIds: queues, taskIds });
        const remaining = deadline - Date.now();
        if (cancel.length > 0 || remaining <= 0 || shutdown.aborted || clientGone.aborted) break;
        await subscription.wait(Math.min(remaining, config.pollFallbackInterval), AbortSignal.any([shutdown, clientGone]));
      } finally {
        subscription.unsubscribe();
      }
    }
    const response: EndpointCancelsResponse = { cancel };
    ctx.body = response;
  });

  return router;
}
