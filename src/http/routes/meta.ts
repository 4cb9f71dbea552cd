/** Unauthenticated routes: version (for client compatibility checks) and health (for load balancers). */
import Router from '@koa/router';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../util/paths.js';
import { DatabaseUnavailable, StorageFull } from '../../errors.js';
import { pendingMigrations } from '../../db/migrate.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { Config } from '../../config.js';

/**
 * The oldest SDK and endpoint this release still serves: the previous release (docs/install.md,
 * "Versions apart"; test/versions/rolling-upgrade runs it against this one). Anything older is
 * told to upgrade by the clients themselves (sdk/transport/versionCompat.ts).
 */
const OLDEST_SERVED = '0.1.0';
const { version } = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

export function metaRoutes(deps: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get('/v2/version', (ctx) => {
    ctx.body = { api: '3', version, min_sdk_version: OLDEST_SERVED, min_endpoint_version: OLDEST_SERVED, min_ep_version: OLDEST_SERVED, auth_mode: deps.config.authMode, ...loginHints(deps.config) };
  });
  router.get('/healthz', async (ctx) => {
    try {
      await deps.db.raw('SELECT 1');
    } catch (error) {
      throw new DatabaseUnavailable('the database does not answer', { cause: error });
    }
    ctx.body = { status: 'ok', version };
  });
  // For load balancers: send traffic only to a replica whose database answers and is migrated
  // as far as this build expects (a replica of a newer build may run ahead; that is fine).
  router.get('/readyz', async (ctx) => {
    let pending: string[];
    try {
      pending = await pendingMigrations(deps.db);
    } catch (error) {
      throw new DatabaseUnavailable('the database does not answer', { cause: error });
    }
    if (pending.length > 0) throw new DatabaseUnavailable(`database migrations not applied yet: ${pending.join(', ')}`, { details: { pending_migrations: pending } });
    // Reads would still answer, but a replica that cannot store a submit or a result should get no new traffic.
    const full = await deps.storage?.check();
    if (full) {
      const since = new Date(full.since).toISOString();
      throw new StorageFull(`not ready: the database has no room to write since ${since} (${full.reason})`, { details: { storage_full_since: since } });
    }
    ctx.body = { status: 'ready', version };
  });
  return router;
}


/** In oidc mode, where and how clients get a token this service accepts (no secrets here). */
function loginHints(config: Config): { oidc?: Record<string, unknown> } {
  if (config.authMode !== 'oidc') return {};
  return {
    oidc: {
      issuer: config.oidcIssuer,
      audience: config.oidcAudience,
      scopes: config.oidcRequiredScopes.split(/\s+/).filter(Boolean),
      ...(config.oidcLoginClientId ? { client_id: config.oidcLoginClientId } : {}),
      ...(config.oidcConsoleClientId ? { console_client_id: config.oidcConsoleClientId } : {}),
    },
  };
}
