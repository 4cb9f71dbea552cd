/**
 * Starts one endpoint in this process: config, registration, pidfile, the
 * executor for its provider, and the agent. Used by `funcx-endpoint start` and
 * by the service's quick start.
 */
import { mkdirSync } from 'node:fs';
import { createLogger, type Logger } from './logger.js';
import { AuditLog } from './auditLog.js';
import { EndpointAgent } from './agent/index.js';
import { ServiceClient } from './client.js';
import { serviceConnections } from './transport/serviceConnections.js';
import { checkEndpointVersion } from './transport/versionCheck.js';
import { loadEndpointConfig, type EndpointSettings } from './config.js';
import { ensureRegistered } from './registration.js';
import { findUserToken } from './userToken.js';
import { PidfileHeld, removePid, takePidfile } from './pidfile.js';
import { ResultSpool } from './spool.js';
import { startSession } from './session.js';
import { writingFile } from './localDiskFull.js';
import { clearLastWord } from './lastWord.js';
import { AgentMetrics } from './metrics.js';
import { createWorkerExecutor } from './workers/index.js';
import { BlockExecutor } from './blocks/blockExecutor.js';
import { ensureManagerSecret } from './blocks/secret.js';
import { removeOldBlockFiles } from './blocks/oldBlockFiles.js';
import { createProvider } from './providers/index.js';
import type { BlockSettings } from './providers/settings.js';
import type { EndpointIdentity } from './identity.js';
import type { EndpointPaths } from './paths.js';

export class EndpointAlreadyRunning extends Error {}

/** Claims the endpoint's pidfile (atomically); an endpoint already running under this name is EndpointAlreadyRunning. */
export function takeEndpointPidfile(paths: EndpointPaths): void {
  try {
    writingFile(paths.pidfile, () => takePidfile(paths));
  } catch (error) {
    if (error instanceof PidfileHeld) throw new EndpointAlreadyRunning(`endpoint "${paths.name}" is already running (pid ${error.pid}); stop it first`);
    throw error;
  }
}

export interface StartedEndpoint {
  settings: EndpointSettings;
  identity: EndpointIdentity;
  agent: EndpointAgent;
  /** Resolves when the agent has stopped (rejects if the service refused its credential). */
  done: Promise<void>;
}

export async function startEndpoint(
  paths: EndpointPaths,
  options: { env?: NodeJS.ProcessEnv; logger?: Logger; signal?: AbortSignal; serviceUrl?: string } = {},
): Promise<StartedEndpoint> {
  const env = options.env ?? process.env;
  const configured = loadEndpointConfig(paths);
  const settings = options.serviceUrl ? { ...configured, serviceUrl: options.serviceUrl.replace(/\/+$/, '') } : configured;
  const logger = options.logger ?? createLogger(settings.logLevel, 'funcx-endpoint', undefined, 'auto'); // pretty on a terminal (npm start)
  const log = logger.child({ endpoint: paths.name });
  // A proxy or CA setting that cannot be used is refused before anything starts (no pidfile, no registration).
  const connections = serviceConnections(paths.config, settings, env);
  takeEndpointPidfile(paths);
  clearLastWord(paths); // this run is what the endpoint's state describes now
  try {
    const client = new ServiceClient(settings.serviceUrl, { connections });
    await checkEndpointVersion(client, log); // a release the service no longer serves stops here, saying so
    const identity = await ensureRegistered({ paths, settings, client, userToken: findUserToken(settings.serviceUrl, env), logger: log, signal: options.signal });
    mkdirSync(paths.tasks, { recursive: true, mode: 0o700 });
    const executor = settings.provider.blocks
      ? createBlockExecutor(paths, settings, settings.provider.blocks, log)
      : createWorkerExecutor({
        maxWorkers: settings.maxWorkers,
        pythonInterpreter: settings.python,
        allowedSerializers: settings.serializers,
        shellOutputCap: settings.shellOutputCap,
        keepShellSandboxes: settings.keepShellSandboxes,
        workerIdleMs: settings.workerIdleMs,
        workDir: paths.tasks,
        logger: log,
        // Without blocks, MPI tasks share this one machine, one node's worth at a time.
        mpi: settings.mpi ? { settings: settings.mpi, nodes: ['localhost'], described: 'one node (the local provider without blocks)' } : null,
        container: settings.container,
      });
    const metrics = settings.metricsPort === null ? undefined : new AgentMetrics(identity.endpoint_id);
    const spool = new ResultSpool(paths.spool);
    // After the pidfile: the session file's ids are then runs of this folder that are over.
    const session = writingFile(paths.session, () => startSession(paths));
    // A descriptor handed down by a multi-user endpoint (the file is root's), else the configured path.
    const audit = AuditLog.inherited(process.env, identity.endpoint_id, log)
      ?? (settings.auditLogPath ? AuditLog.open(settings.auditLogPath, identity.endpoint_id, log) : undefined);
    const agent = new EndpointAgent({
      settings,
      endpointId: identity.endpoint_id,
      credential: identity.credential,
      client: metrics ? metrics.instrumentClient(client) : client,
      executor,
      spool: metrics ? metrics.instrumentSpool(spool) : spool,
      logger: log,
      session,
      ...(audit ? { audit } : {}),
    });
    metrics?.observe(agent, executor);
    const metricsServer = metrics ? await metrics.listen(settings.metricsHost, settings.metricsPort!, log) : undefined;
    log.info({ endpointId: identity.endpoint_id, service: settings.serviceUrl, maxWorkers: settings.maxWorkers }, 'endpoint started');
    const done = agent.run().finally(async () => {
      audit?.close();
      await metricsServer?.close();
      removePid(paths);
    });
    return { settings, identity, agent, done };
  } catch (error) {
    removePid(paths);
    throw error;
  }
}

/** Workers in blocks: the provider's jobs run worker managers that connect back here. */
function createBlockExecutor(paths: EndpointPaths, settings: EndpointSettings, blocks: BlockSettings, logger: Logger): BlockExecutor {
  mkdirSync(paths.blocks, { recursive: true, mode: 0o700 });
  const removed = removeOldBlockFiles(paths.blocks);
  if (removed.length > 0) logger.info({ removed: removed.length, blocksDir: paths.blocks }, 'removed block files of earlier runs (the latest run\'s are kept)');
  return new BlockExecutor({
    provider: createProvider(settings.provider, paths.name, { mpi: settings.mpi !== null }),
    blocks,
    secret: ensureManagerSecret(paths.managerSecret),
    secretFile: paths.managerSecret,
    blocksDir: paths.blocks,
    worker: { python: settings.python, serializers: settings.serializers, shellOutputCap: settings.shellOutputCap, keepShellSandboxes: settings.keepShellSandboxes, workDir: paths.tasks, logLevel: settings.logLevel, workerIdleMs: settings.workerIdleMs, container: settings.container },
    mpi: settings.mpi,
    logger,
  });
}
