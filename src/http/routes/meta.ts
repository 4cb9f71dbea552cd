/** Unauthenticated routes: version (for client compatibility checks) and health (for load balancers). */
import Router from '@koa/router';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../util/paths.js';
import { DatabaseUnavailable } from '../../errors.js';
import type { RequestState, ServiceDeps } from '../context.js';

const { version } = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

export function metaRoutes(deps: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get('/v2/version', (ctx) => {
    ctx.body = { api: '3', version, min_sdk_version: '0.1.0', min_endpoint_version: '0.1.0', auth_mode: deps.config.authMode };
  });
  router.get('/healthz', async (ctx) => {
    try {
      await deps.db.raw('SELECT 1');
    } catch (error) {
      throw new DatabaseUnavailable('the database does not answer', { cause: error });
    }
    ctx.body = { status: 'ok', version };
  });
  return router;
}

export const SERVICE_VERSION = version;
