/**
 * What a multi-user endpoint calls, with its own credential (it runs no task;
 * see docs/multi-user-endpoints.md): which users have work waiting (a
 * long-poll), a per-user endpoint's credential for the process it starts, and
 * refusing a user's waiting tasks with a reason the user reads.
 */
import Router from '@koa/router';
import { EndpointAccessForbidden } from '../../errors.js';
import { requireEndpointCredential } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, validBody } from '../validatedInput.js';
import { longPoll } from '../longPoll.js';
import { loadEndpoint } from '../../registry/endpoints.js';
import { issueUserEndpoint, recordUserEndpointError } from '../../registry/userEndpoints.js';
import { loadSubmitterClaims } from '../../registry/submitterClaims.js';
import { readUserDemand } from '../../ledger/readUserDemand.js';
import { failUserTasks } from '../../ledger/failUserTasks.js';
import { endpointKey, taskKey } from '../../wakeups.js';
import type { Middleware, RequestState, ServiceDeps } from '../context.js';
import type { UserDemandRequest } from '@funcx-ts/shared/wire/user-demand.js';
import type { UserDemandResponse } from '@funcx-ts/shared/wire/user-demand-response.js';
import type { UserEndpointCreateRequest } from '@funcx-ts/shared/wire/user-endpoint-create.js';
import type { UserTasksFailRequest } from '@funcx-ts/shared/wire/user-tasks-fail.js';

/** The caller's credential must be the multi-user endpoint's own. */
const requireMultiUser: Middleware = (ctx, next) => {
  if (!ctx.state.endpoint?.multiUser) throw new EndpointAccessForbidden('only a multi-user endpoint may do that');
  return next();
};

export function multiUserRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config, wakeups } = deps;
  const router = new Router<RequestState>();
  const multiUserOnly = [uuidParams('endpoint_id'), requireEndpointCredential(db), requireMultiUser];

  router.post('/v3/endpoints/:endpoint_id/user_demand', ...multiUserOnly, validBody(validator, 'user-demand.json'), async (ctx) => {
    const request = bodyIn<Required<UserDemandRequest>>(ctx);
    const parentId = ctx.params.endpoint_id;
    const demand = await longPoll(deps, ctx.res, {
      waitMs: request.wait_s * 1000,
      // Submits wake the parent's key; requeues (a per-user endpoint died) wake the child's.
      keys: async () => {
        const children: string[] = await db('endpoints').where({ parent_id: parentId }).whereNull('deleted_at').pluck('id');
        return [parentId, ...children].map(endpointKey);
      },
      recheckMs: config.pollFallbackInterval,
      look: () => readUserDemand(db, { parentId, serving: request.serving }),
      done: (users) => users.length > 0,
    });
    const claims = await loadSubmitterClaims(db, [...new Set(demand.map((d) => d.identity))]);
    const response: UserDemandResponse = {
      users: demand.map((d) => ({
        identity: d.identity,
        claims: claims.get(d.identity) ?? {},
        user_config_key: d.userConfigKey,
        user_endpoint_config: d.userEndpointConfig,
        user_runtime: d.userRuntime,
        waiting: d.waiting,
        user_endpoint_id: d.userEndpointId,
      })),
    };
    ctx.body = response;
  });

  router.post('/v3/endpoints/:endpoint_id/user_endpoints', ...multiUserOnly, validBody(validator, 'user-endpoint-create.json'), async (ctx) => {
    const request = bodyIn<UserEndpointCreateRequest>(ctx);
    const parent = (await loadEndpoint(db, ctx.params.endpoint_id))!; // the credential was just found on it
    ctx.status = 201;
    ctx.body = await issueUserEndpoint(db, parent, { identity: request.identity, userConfigKey: request.user_config_key, localUser: request.local_user });
  });

  router.post('/v3/endpoints/:endpoint_id/user_demand/fail', ...multiUserOnly, validBody(validator, 'user-tasks-fail.json'), async (ctx) => {
    const request = bodyIn<UserTasksFailRequest>(ctx);
    const parentId = ctx.params.endpoint_id;
    const scope = { identity: request.identity, userConfigKey: request.user_config_key };
    const failed = await failUserTasks(db, { parentId, ...scope, exception: { type: request.type, message: request.message } });
    await recordUserEndpointError(db, parentId, { ...scope, error: `${request.type}: ${request.message}` });
    for (const taskId of failed) wakeups.notify(taskKey(taskId));
    ctx.state.log.info({ endpointId: parentId, identity: request.identity, type: request.type, failed: failed.length }, 'multi-user endpoint refused a user\'s tasks');
    ctx.body = { failed_tasks: failed };
  });

  return router;
}
