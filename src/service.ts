/**
 * The service as a whole: database, migrations, HTTP, background maintenance.
 * `startService` is what `funcx-service serve` runs and what tests start on port 0.
 */
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type { Config } from './config.js';
import { redactUrl } from './config.js';
import { createLogger, type LogFormat, type Logger } from './logger.js';
import { openDatabase } from './db/connect.js';
import { migrateLatest } from './db/migrate.js';
import { createApp, type ExtraRoutes } from './http/app.js';
import { createHttpServer } from './http/server.js';
import { Validator } from './http/validation.js';
import { Wakeups } from './wakeups.js';
import { startReplicaRelay, type ReplicaRelay } from './fleet/replicaRelay.js';
import { dialectOf } from './db/connect.js';
import { ResultQueues } from './upstream/amqp/resultQueues.js';
import { startResultPublishing } from './upstream/amqp/publishFinished.js';
import { startMaintenance, type Maintenance } from './maintenance.js';
import { ensureQuickstart } from './quickstart.js';
import { ServiceMetrics } from './metrics/serviceMetrics.js';
import { StorageMonitor } from './db/storageMonitor.js';
import type { ServiceDeps } from './http/context.js';
import { oidcAuthenticator } from './auth/oidc/oidcAuthenticator.js';
import { oidcSettings } from './auth/oidc/settings.js';

export interface RunningService {
  url: string;
  port: number;
  deps: ServiceDeps;
  maintenance: Maintenance;
  /** Wake-ups to and from the other replicas (MySQL/MariaDB only). */
  relay?: ReplicaRelay;
  quickstart?: { file: string; created: boolean };
  /** Graceful: stop accepting, answer long-polls, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

/**
 * Migrations may run long (an ALTER of a big table; waiting for another replica's migration
 * lock): on MariaDB they get their own short-lived pool without the statement time limit.
 */
async function migrateWithoutTimeLimit(config: Config, db: Knex, given: boolean): Promise<string[]> {
  if (given || dialectOf(db) !== 'mysql' || !config.databaseStatementTimeout) return migrateLatest(db);
  const migrator = openDatabase(config.databaseUrl, { poolMax: 2 });
  try {
    return await migrateLatest(migrator);
  } finally {
    await migrator.destroy();
  }
}

export async function startService(config: Config, options: { logger?: Logger; db?: Knex; extraRoutes?: ExtraRoutes[] } = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.logLevel, 'funcx-service', undefined, config.logFormat as LogFormat);
  const db = options.db ?? openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax, statementTimeoutMs: config.databaseStatementTimeout });
  const applied = await migrateWithoutTimeLimit(config, db, Boolean(options.db));
  if (applied.length > 0) logger.info({ applied }, 'applied database migrations');

  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal); // one listener per waiting long-poll (linkedAbortSignal.ts): many is normal
  const authenticator = config.authMode === 'oidc' ? oidcAuthenticator(oidcSettings(config), logger) : undefined;
  if (config.authMode === 'oidc' && config.oidcAllowHttp) logger.warn({ issuer: config.oidcIssuer }, 'FUNCX_OIDC_ALLOW_HTTP: the identity provider may be reached over plain http; never in production');
  if (config.metrics === 'open') logger.warn('FUNCX_METRICS=open: anyone who reaches this port can read /metrics; use token (FUNCX_METRICS_TOKEN) unless the network is trusted');
  const metrics = config.metrics === 'off' ? undefined : new ServiceMetrics(config, db);
  const resultQueues = config.amqpUrl ? new ResultQueues({ url: config.amqpUrl, managementUrl: config.amqpManagementUrl }, logger) : undefined;
  const storage = new StorageMonitor(db, logger);
  const deps: ServiceDeps = { config, db, logger, wakeups: new Wakeups(), validator: new Validator(), shutdown: stopping.signal, authenticator, metrics, resultQueues, storage };
  const app = createApp(deps, options.extraRoutes);
  const publishing = resultQueues ? startResultPublishing(deps) : undefined;
  // The port is bound first (FUNCX_PORT, or port 0: the URL needs the port), but no request is
  // answered before start-up is done: a tool that sees /healthz answer finds quickstart.json written.
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const handle = app.callback();
  const server = createHttpServer(config, (request, response) => void open.then(() => handle(request, response)));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  try {
    return await finishStart();
  } catch (error) {
    server.close();
    throw error;
  }

  async function finishStart(): Promise<RunningService> {
    const port = (server.address() as AddressInfo).port;
    const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    const url = config.publicUrl || `${config.tlsCertFile ? 'https' : 'http'}://${hostForUrl}:${port}`;
    const maintenance = startMaintenance({ db, config, logger, wakeups: deps.wakeups, metrics, storage });
    // Replicas share only a MySQL/MariaDB database (SQLite is one process's file).
    const relay = dialectOf(db) === 'mysql' && config.replicaWakeupInterval > 0
      ? await startReplicaRelay({ db, wakeups: deps.wakeups, logger, intervalMs: config.replicaWakeupInterval })
      : undefined;
    // quickstart.json holds a local API token, which means nothing in oidc mode.
    const quickstart = config.writeQuickstart && config.authMode === 'local' ? await ensureQuickstart(db, config.home, url) : undefined;
    opened();
    logger.info({ url, database: redactUrl(config.databaseUrl), quickstart: quickstart?.file }, 'funcx service listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      deps,
      maintenance,
      relay,
      quickstart,
      close() {
        closing ??= (async () => {
          stopping.abort();
          await new Promise<void>((resolve) => {
            // Keep-alive sockets (endpoints, SDKs) would hold close() open: drop each as soon as
            // it is idle, and after a bound drop the rest, so a restart is never stuck.
            const sweep = setInterval(() => server.closeIdleConnections(), 50);
            const force = setTimeout(() => server.closeAllConnections(), 10_000);
            server.close(() => {
              clearInterval(sweep);
              clearTimeout(force);
              resolve();
            });
            server.closeIdleConnections();
          });
          await relay?.stop();
          await maintenance.stop();
          storage.stop();
          await publishing?.stop();
          await resultQueues?.close();
          if (!options.db) await db.destroy();
          logger.info('funcx service stopped');
        })();
        return closing;
      },
    };
  }
}
