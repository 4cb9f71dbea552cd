/** Endpoints as their owners and users see them: register, list, read, status, delete, allowed functions. */
import Router from '@koa/router';
import type { Knex } from 'knex';
import { readNow } from '../../db/clock.js';
import { inTransaction } from '../../db/transaction.js';
import { requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, queryIn, validBody, validQuery } from '../validatedInput.js';
import {
  canUseEndpoint, endpointListItem, getOwnedEndpoint, getVisibleEndpoint, isOnline, listEndpoints, markEndpointDeleted, registerEndpoint,
  revokeEndpointCredential, setAllowedFunctions, toEndpointRecord,
} from '../../registry/endpoints.js';
import { endpointStatus } from '../../registry/heartbeats.js';
import { endpointState } from '../../registry/endpointState.js';
import { failEndpointTasks } from '../../ledger/failEndpointTasks.js';
import { childrenFirst, deleteUserEndpoints, userEndpointStatuses } from '../../registry/userEndpoints.js';
import { upstreamEndpointForm } from '../../upstream/v3Forms.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { EndpointRegisterRequest } from '@funcx-ts/shared/wire/endpoint-register.js';
import type { EndpointListQuery } from '@funcx-ts/shared/wire/endpoint-list-query.js';
import type { AllowedFunctions } from '@funcx-ts/shared/wire/allowed-functions.js';

export function endpointRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config } = deps;
  const router = new Router<RequestState>();
  const user = requireUser(db);
  const id = uuidParams('endpoint_id');
  const online = async (db: Knex, lastHeartbeat: { last_heartbeat_at: number | null }) =>
    isOnline(lastHeartbeat, await readNow(db), config.endpointOfflineAfter);

  router.post('/v3/endpoints', user, upstreamEndpointForm(deps), validBody(validator, 'endpoint-register.json'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await registerEndpoint(db, userOf(ctx), bodyIn<EndpointRegisterRequest>(ctx));
  });

  // Re-registration with a known id (the agent restarting), or registration under a chosen id.
  router.put('/v3/endpoints/:endpoint_id', user, id, upstreamEndpointForm(deps), validBody(validator, 'endpoint-register.json'), async (ctx) => {
    ctx.body = await registerEndpoint(db, userOf(ctx), bodyIn<EndpointRegisterRequest>(ctx), ctx.params.endpoint_id);
  });

  router.get('/v3/endpoints', user, validQuery(validator, 'endpoint-list-query.json'), async (ctx) => {
    const { role } = queryIn<Required<EndpointListQuery>>(ctx);
    const dbNow = await readNow(db);
    const rows = await listEndpoints(db, userOf(ctx), role);
    ctx.body = {
      // A per-user endpoint is listed right after its multi-user endpoint.
      endpoints: childrenFirst(rows).map((row) => ({
        ...endpointListItem(row, dbNow, config.endpointOfflineAfter),
        ...endpointState(row, dbNow, config.endpointOfflineAfter),
        multi_user: Boolean(row.multi_user),
        parent_endpoint_id: row.parent_id ?? null,
      })),
    };
  });

  router.get(['/v2/endpoints/:endpoint_id', '/v3/endpoints/:endpoint_id'], user, id, async (ctx) => {
    const caller = userOf(ctx);
    const endpoint = await getVisibleEndpoint(db, caller, ctx.params.endpoint_id);
    const record = toEndpointRecord(endpoint, await online(db, endpoint));
    if (!canUseEndpoint(caller, endpoint)) {
      // As for its status: discovering a public endpoint does not reveal who may use it or what its owner noted.
      delete record.allowed_groups;
      delete record.metadata;
    }
    ctx.body = record;
  });

  router.get(['/v2/endpoints/:endpoint_id/status', '/v3/endpoints/:endpoint_id/status'], user, id, async (ctx) => {
    const caller = userOf(ctx);
    const endpoint = await getVisibleEndpoint(db, caller, ctx.params.endpoint_id);
    // `public` only makes an endpoint discoverable: its heartbeat log (hostnames, managers,
    // ports) and load are for its owner and those who may run on it (allowed_groups).
    if (!canUseEndpoint(caller, endpoint)) {
      // Its state word, not why: the detail may name who stopped it or quote its errors.
      const dbNow = await readNow(db);
      const { state, state_since } = endpointState(endpoint, dbNow, config.endpointOfflineAfter);
      ctx.body = { endpoint_id: endpoint.id, status: isOnline(endpoint, dbNow, config.endpointOfflineAfter) ? 'online' : 'offline', state, state_detail: null, state_since };
      return;
    }
    const status = await endpointStatus(db, endpoint, { offlineAfterMs: config.endpointOfflineAfter, logSize: config.heartbeatLogSize });
    if (endpoint.parent_id != null) status.last_error = endpoint.last_error ?? null;
    // A multi-user endpoint's owner sees every per-user endpoint; a user, their own.
    if (endpoint.multi_user) {
      status.user_endpoints = await userEndpointStatuses(db, endpoint.id, {
        identity: endpoint.owner === caller.id ? undefined : caller.id,
        offlineAfterMs: config.endpointOfflineAfter,
      });
    }
    ctx.body = status;
  });

  router.delete(['/v2/endpoints/:endpoint_id', '/v3/endpoints/:endpoint_id'], user, id, async (ctx) => {
    await getOwnedEndpoint(db, userOf(ctx), ctx.params.endpoint_id);
    // Its unfinished tasks fail at once; clients waiting on them see it at their next database check.
    const failed = await inTransaction(db, async (trx) => {
      await markEndpointDeleted(trx, ctx.params.endpoint_id);
      // A multi-user endpoint's per-user endpoints go with it (their credentials too).
      let count = 0;
      for (const child of await deleteUserEndpoints(trx, ctx.params.endpoint_id)) count += await failEndpointTasks(trx, child);
      return count + (await failEndpointTasks(trx, ctx.params.endpoint_id));
    });
    ctx.body = { endpoint_id: ctx.params.endpoint_id, deleted: true, failed_tasks: failed };
  });

  // The owner cuts off the endpoint's agent at once; PUT /v3/endpoints/{id} issues a new credential.
  router.delete('/v3/endpoints/:endpoint_id/credential', user, id, async (ctx) => {
    await getOwnedEndpoint(db, userOf(ctx), ctx.params.endpoint_id);
    const revoked = await revokeEndpointCredential(db, ctx.params.endpoint_id);
    ctx.body = { endpoint_id: ctx.params.endpoint_id, credential_revoked: revoked };
  });

  router.get('/v3/endpoints/:endpoint_id/allowed_functions', user, id, async (ctx) => {
    const endpoint = await getVisibleEndpoint(db, userOf(ctx), ctx.params.endpoint_id);
    ctx.body = { functions: endpoint.allowed_functions };
  });

  router.put('/v3/endpoints/:endpoint_id/allowed_functions', user, id, validBody(validator, 'allowed-functions.json'), async (ctx) => {
    await getOwnedEndpoint(db, userOf(ctx), ctx.params.endpoint_id);
    const { functions } = bodyIn<AllowedFunctions>(ctx);
    await setAllowedFunctions(db, ctx.params.endpoint_id, functions);
    // Answer what was stored (ids lower-cased, duplicates merged), as GET will.
    ctx.body = { functions: (await getOwnedEndpoint(db, userOf(ctx), ctx.params.endpoint_id)).allowed_functions };
  });

  return router;
}
