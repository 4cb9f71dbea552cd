/**
 * Starts a multi-user endpoint in this process (`funcx-endpoint start NAME`
 * when NAME has a multi_user.yaml): root only, since it starts processes as
 * other accounts; registers as multi_user; then runs the manager.
 */
import os from 'node:os';
import { createLogger, type Logger } from '../../src/logger.js';
import { loadEndpointConfig } from '../config.js';
import { ensureRegistered } from '../registration.js';
import { findUserToken } from '../userToken.js';
import { removePid } from '../pidfile.js';
import { takeEndpointPidfile, type StartedEndpoint } from '../run.js';
import { MultiUserClient } from './client.js';
import { serviceConnections } from '../transport/serviceConnections.js';
import { checkEndpointVersion } from '../transport/versionCheck.js';
import { MultiUserEndpoint } from './manager.js';
import { loadMultiUserSettings } from './settings.js';
import type { EndpointPaths } from '../paths.js';

export class MultiUserNeedsRoot extends Error {}

export interface StartedMultiUser extends Omit<StartedEndpoint, 'agent'> {
  agent: MultiUserEndpoint;
}

export async function startMultiUserEndpoint(
  paths: EndpointPaths,
  options: { env?: NodeJS.ProcessEnv; logger?: Logger; signal?: AbortSignal; serviceUrl?: string } = {},
): Promise<StartedMultiUser> {
  if (process.getuid?.() !== 0) {
    throw new MultiUserNeedsRoot(`endpoint "${paths.name}" is multi-user (it has multi_user.yaml): it starts processes as other accounts, so only root may run it (this is uid ${process.getuid?.()})`);
  }
  const env = options.env ?? process.env;
  const configured = loadEndpointConfig(paths);
  const settings = options.serviceUrl ? { ...configured, serviceUrl: options.serviceUrl.replace(/\/+$/, '') } : configured;
  const multi = loadMultiUserSettings(paths);
  const logger = options.logger ?? createLogger(settings.logLevel, 'funcx-endpoint');
  const log = logger.child({ endpoint: paths.name });
  // A proxy or CA setting that cannot be used is refused before anything starts (no pidfile, no registration).
  const connections = serviceConnections(paths.config, settings, env);
  takeEndpointPidfile(paths);
  try {
    const client = new MultiUserClient(settings.serviceUrl, { connections });
    await checkEndpointVersion(client, log); // a release the service no longer serves stops here, saying so
    const identity = await ensureRegistered({
      paths, settings, client, userToken: findUserToken(settings.serviceUrl, env), logger: log, signal: options.signal,
      extra: { multi_user: true, allow_any_user: multi.allowAnyUser, metadata: { hostname: os.hostname(), multi_user: true } },
    });
    const manager = new MultiUserEndpoint({ paths, settings, multi, client, endpointId: identity.endpoint_id, credential: identity.credential, logger: log });
    // The same line as a single-user endpoint's: `start --detach` waits for it.
    log.info({ endpointId: identity.endpoint_id, service: settings.serviceUrl, multiUser: true }, 'endpoint started');
    const done = manager.run().finally(() => removePid(paths));
    return { settings, identity, agent: manager, done };
  } catch (error) {
    removePid(paths);
    throw error;
  }
}
