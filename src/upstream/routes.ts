/**
 * The routes only the upstream SDKs (funcx 1.0, globus-compute-sdk 2.x) call,
 * on the same auth, registry and ledger as the native API. The paths both
 * share (tasks, batch_status, taskgroup, endpoint status, function get/delete)
 * stay in the native routers; tasks submitted in the upstream format are shown
 * in the upstream shape there (taskView.ts). docs/upstream-sdks.md.
 */
import Router from '@koa/router';
import { readNow } from '../db/clock.js';
import { AmqpNotConfigured, UpstreamOptionUnsupported } from '../errors.js';
import { requireUser, userOf } from '../http/authenticate.js';
import { uuidParams } from '../http/params.js';
import { bodyIn, validBody } from '../http/validatedInput.js';
import { registerFunction } from '../registry/functions.js';
import { endpointListItem, getOwnedEndpoint, listEndpoints, revokeEndpointCredential } from '../registry/endpoints.js';
import { submitV2 } from './submit.js';
import type { RequestState, ServiceDeps } from '../http/context.js';
import type { UpstreamFunctionRegisterRequest } from '@funcx-ts/shared/wire/upstream-function-register.js';
import type { UpstreamSubmitV2Request } from '@funcx-ts/shared/wire/upstream-submit-v2.js';
import type { UpstreamEndpointList } from '@funcx-ts/shared/wire/upstream-endpoint-list.js';
import type { UpstreamEndpointLockResponse } from '@funcx-ts/shared/wire/upstream-endpoint-lock-response.js';
import type { UpstreamAmqpConnection } from '@funcx-ts/shared/wire/upstream-amqp-connection.js';

export function upstreamRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config } = deps;
  const router = new Router<RequestState>();
  const user = requireUser(db);

  // register_function: the packed code is stored as is; the worker unpacks it (workers/globus_compute_serde.py).
  router.post('/v2/functions', user, validBody(validator, 'upstream-function-register.json'), async (ctx) => {
    const body = bodyIn<UpstreamFunctionRegisterRequest>(ctx);
    if (body.container_uuid) {
      throw new UpstreamOptionUnsupported('containers are not supported: register the function without container_uuid', { details: { field: 'container_uuid' } });
    }
    const functionId = await registerFunction(db, userOf(ctx).id, {
      name: body.function_name,
      runtime: 'python',
      source: body.function_code,
      ...(body.description ? { description: body.description } : {}),
      public: body.public ?? false,
      searchable: body.searchable ?? false,
      ...(body.group ? { group_ids: [body.group] } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
    }, 'globus-compute');
    ctx.body = { function_uuid: functionId };
  });

  router.post('/v2/submit', user, validBody(validator, 'upstream-submit-v2.json'), async (ctx) => {
    ctx.body = await submitV2(deps, ctx, bodyIn<UpstreamSubmitV2Request>(ctx));
  });

  // get_endpoints: the caller's own endpoints, as a list.
  router.get('/v2/endpoints', user, async (ctx) => {
    const dbNow = await readNow(db);
    const rows = await listEndpoints(db, userOf(ctx), 'owner');
    const list: UpstreamEndpointList = rows.map((row) => ({ uuid: row.id, ...endpointListItem(row, dbNow, config.endpointOfflineAfter) }));
    ctx.body = list;
  });

  // stop_endpoint: "drop its connections". Here an agent holds no connection, so the owner cuts it off
  // by revoking its credential (its next call is refused and it stops); PUT /v3/endpoints/{id} issues a new one.
  router.post(['/v2/endpoints/:endpoint_id/lock', '/v3/endpoints/:endpoint_id/lock'], user, uuidParams('endpoint_id'), async (ctx) => {
    await getOwnedEndpoint(db, userOf(ctx), ctx.params.endpoint_id);
    const revoked = await revokeEndpointCredential(db, ctx.params.endpoint_id);
    const answer: UpstreamEndpointLockResponse = { endpoint_id: ctx.params.endpoint_id, locked: true, credential_revoked: revoked };
    ctx.body = answer;
  });

  router.get('/v2/get_amqp_result_connection_url', user, async (ctx) => {
    if (deps.resultQueues) {
      const answer: UpstreamAmqpConnection = await deps.resultQueues.credentialsFor(userOf(ctx).id);
      ctx.body = answer;
      return;
    }
    throw new AmqpNotConfigured('this service delivers no results over AMQP (FUNCX_AMQP_URL is not set): use Client.get_result / get_batch_result, which poll');
  });

  return router;
}
