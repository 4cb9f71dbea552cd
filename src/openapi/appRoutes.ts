/**
 * The route table of the app this build serves, without a running service:
 * createApp with the default configuration and a database handle that is never
 * opened (routers are built, no query runs). Used at build time and by tests.
 */
import knexFactory from 'knex';
import { loadConfig, type Config } from '../config.js';
import { createApp } from '../http/app.js';
import { Validator } from '../http/validation.js';
import { Wakeups } from '../wakeups.js';
import { createLogger } from '../logger.js';
import { routeTable, type RouteEntry } from './routeTable.js';

export async function appRoutes(config: Config = loadConfig({}, { home: '/nonexistent' })): Promise<{ routes: RouteEntry[]; actionProviderPrefix: string }> {
  const db = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  try {
    const app = createApp({ config, db, logger: createLogger('silent'), wakeups: new Wakeups(), validator: new Validator(), shutdown: new AbortController().signal });
    return { routes: routeTable(app as never), actionProviderPrefix: config.actionProviderBasePath.replace(/\/+$/, '') };
  } finally {
    await db.destroy();
  }
}
