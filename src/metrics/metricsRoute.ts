/**
 * GET /metrics in the Prometheus text format. FUNCX_METRICS decides who may read it:
 * off (answers 404 as an unknown route), open, or token (Bearer FUNCX_METRICS_TOKEN,
 * compared in constant time; user and endpoint credentials do not work here).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { RouteNotFound, UserUnauthenticated } from '../errors.js';
import type { RequestState, ServiceDeps } from '../http/context.js';

export function metricsRoutes(deps: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { config, metrics } = deps;
  const expected = digest(`Bearer ${config.metricsToken}`);
  router.get('/metrics', async (ctx) => {
    if (config.metrics === 'off' || !metrics) throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    if (config.metrics === 'token' && !timingSafeEqual(digest(ctx.get('Authorization').trim()), expected)) {
      throw new UserUnauthenticated('send the metrics token: Authorization: Bearer <FUNCX_METRICS_TOKEN>');
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}

/** Equal-length digests, so the comparison time says nothing about the token. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
