/**
 * The Action Provider API (Globus Actions API), a part mounted into the
 * service (src/servicePart.ts) at the configured base path (default
 * /actions/). This file is all the service imports of it: the part, and its
 * options for the service's option table. Everything under that path is
 * answered here, errors included, in the spec's `{code, description}` shape:
 * the middleware sits before the service's body parser so that even a body
 * that is not JSON is refused in that shape.
 */
import type Koa from 'koa';
import { DatabaseUnavailable, IdentityProviderUnavailable, RouteNotFound, STORAGE_FULL_RETRY_AFTER_S, TooManyRequests, jsonBody } from '../src/forParts.js';
import type { AppContext, PartMiddleware, RequestState, ServiceDeps, ServicePart } from '../src/forParts.js';
import { actionRoutes } from './routes.js';
import { toActionError } from './errors.js';
import { ACTION_PROVIDER_ANNOTATIONS, actionErrorStatuses } from './openapi.js';
import { actionProviderMaintenance } from './maintenance.js';

export { ACTION_PROVIDER_OPTIONS, actionProviderConfigProblems } from './config.js';

export const actionProviderPart: ServicePart = {
  mount: mountActionProvider,
  errorStatuses: actionErrorStatuses,
  annotations: ACTION_PROVIDER_ANNOTATIONS,
  maintenance: actionProviderMaintenance,
};

function mountActionProvider(deps: ServiceDeps): PartMiddleware {
  const prefix = deps.config.actionProviderBasePath.replace(/\/+$/, '');
  const router = actionRoutes(deps, prefix);
  const routes = router.routes();
  const methods = router.allowedMethods({ throw: true });
  const readBody = jsonBody(deps.config.maxBodyBytes);
  // The router rides along so the route table (src/openapi/routeTable.ts) can list its routes.
  return Object.assign(async (koaCtx: Koa.ParameterizedContext<RequestState>, next: Koa.Next) => {
    const ctx = koaCtx as AppContext;
    if (ctx.path !== prefix && !ctx.path.startsWith(`${prefix}/`)) return next();
    try {
      // As in the app: routes, then allowedMethods (405) for a path matched under another method.
      await readBody(ctx, () => routes(ctx as never, () => methods(ctx as never, async () => {})));
      if (ctx.status === 404 && ctx.body == null) throw new RouteNotFound(`no route for ${ctx.method} ${ctx.path}`);
    } catch (thrown) {
      const { status, body, internal } = toActionError(thrown, ctx.state.requestId);
      if (internal) ctx.state.log?.error({ err: internal, code: body.code }, 'action provider request failed');
      else ctx.state.log?.info({ code: body.code, reason: body.description }, 'action provider request refused');
      ctx.status = status;
      ctx.body = body;
      // Tell a throttled or temporarily refused caller when to come back, as the service's other routes do.
      if (thrown instanceof TooManyRequests) ctx.set('Retry-After', String(thrown.retryAfterS));
      if (thrown instanceof IdentityProviderUnavailable || thrown instanceof DatabaseUnavailable) ctx.set('Retry-After', '5');
      if (status === 507) ctx.set('Retry-After', String(STORAGE_FULL_RETRY_AFTER_S));
    }
  }, { router, actionProviderPrefix: prefix });
}
