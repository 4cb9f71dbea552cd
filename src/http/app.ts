/** Builds the Koa app from its parts. Only the program entry calls listen (tests listen on port 0). */
import Koa from 'koa';
import type Router from '@koa/router';
import { errorHandler } from './errorHandler.js';
import { requestLog } from './requestLog.js';
import { jsonBody } from './jsonBody.js';
import { authContext } from './authContext.js';
import { metaRoutes } from './routes/meta.js';
import { functionRoutes } from './routes/functions.js';
import { endpointRoutes } from './routes/endpoints.js';
import { endpointActivityRoutes } from './routes/endpointActivity.js';
import { taskRoutes } from './routes/tasks.js';
import { taskOutputRoutes } from './routes/taskOutput.js';
import { endpointProtocolRoutes } from './routes/endpointProtocol.js';
import { endpointCancelRoutes } from './routes/endpointCancels.js';
import { taskListingRoutes } from './routes/taskListing.js';
import { multiUserRoutes } from './routes/multiUser.js';
import { upstreamRoutes } from '../upstream/routes.js';
import { httpMetrics } from '../metrics/httpMetrics.js';
import { metricsRoutes } from '../metrics/metricsRoute.js';
import { openapiRoutes } from '../openapi/routes.js';
import { consoleRoutes } from '../console/routes.js';
import { actionProviderPart } from '../../action-provider/index.js';
import type { RequestState, ServiceDeps } from './context.js';
import { StorageMonitor } from '../db/storageMonitor.js';

export type ExtraRoutes = (deps: ServiceDeps) => Router<RequestState>;

/** Every router the app mounts after the Action Provider, in order (the fuzz suite reads its routes from here). */
export const ROUTE_BUILDERS: readonly ExtraRoutes[] = [metaRoutes, metricsRoutes, openapiRoutes, consoleRoutes, functionRoutes, endpointRoutes, endpointActivityRoutes, taskRoutes, taskOutputRoutes, taskListingRoutes, endpointProtocolRoutes, endpointCancelRoutes, multiUserRoutes, upstreamRoutes];

export function createApp(deps: ServiceDeps, extra: ExtraRoutes[] = []): Koa<RequestState> {
  const app = new Koa<RequestState>({ proxy: deps.config.trustProxy });
  app.silent = true; // errors are logged by errorHandler, with the request id
  app.use(requestLog(deps.logger) as Koa.Middleware<RequestState>);
  if (deps.metrics) app.use(httpMetrics(deps.metrics) as Koa.Middleware<RequestState>);
  deps.storage ??= new StorageMonitor(deps.db, deps.logger);
  app.use(errorHandler({ storage: deps.storage }) as Koa.Middleware<RequestState>);
  // Before the Action Provider: it authenticates callers the same way.
  app.use(authContext(deps) as Koa.Middleware<RequestState>);
  // The Action Provider API answers under its base path in its own error shape, even for a body that is not JSON.
  app.use(actionProviderPart.mount(deps));
  app.use(jsonBody(deps.config.maxBodyBytes) as Koa.Middleware<RequestState>);
  for (const build of [...ROUTE_BUILDERS, ...extra]) {
    const router = build(deps);
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}
