/**
 * GET /v3/endpoints/{id}/activity: the endpoint's recent minutes (workers busy
 * and idle, tasks queued, finished and failed) for the console's charts. Like
 * the status's load figures, for the endpoint's owner and those who may run
 * on it; someone who only discovers a public endpoint is refused.
 */
import Router from '@koa/router';
import { requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { queryIn, validQuery } from '../validatedInput.js';
import { canUseEndpoint, getVisibleEndpoint } from '../../registry/endpoints.js';
import { readActivity } from '../../registry/endpointActivity.js';
import { EndpointAccessForbidden } from '../../errors.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { EndpointActivityQuery } from '@funcx-ts/shared/wire/endpoint-activity-query.js';

export function endpointActivityRoutes({ db, validator }: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get('/v3/endpoints/:endpoint_id/activity', requireUser(db), uuidParams('endpoint_id'), validQuery(validator, 'endpoint-activity-query.json'), async (ctx) => {
    const caller = userOf(ctx);
    const endpoint = await getVisibleEndpoint(db, caller, ctx.params.endpoint_id);
    if (!canUseEndpoint(caller, endpoint)) throw new EndpointAccessForbidden('the endpoint\'s activity is for its owner and those it is shared with');
    const { window } = queryIn<Required<EndpointActivityQuery>>(ctx);
    ctx.body = await readActivity(db, { endpointId: endpoint.id, windowSeconds: window });
  });
  return router;
}
