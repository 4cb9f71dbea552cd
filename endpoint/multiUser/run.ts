/**
 * Starts a multi-user endpoint in this process (`funcx-endpoint start NAME`
 * when NAME has a multi_user.yaml); registers as multi_user; then runs the
 * multi-user endpoint (multiUserEndpoint.ts). Run by root, it maps each
 * submitter to a local account and starts per-user endpoints as those accounts. Run by anyone else (upstream 4.0: any
 * endpoint may carry a template), it starts them as its own account only:
 * the template, user_endpoint_config and user_runtime still choose each
 * process's config, and identity_mapping is not used.
 */
import os from 'node:os';
import { createLogger, type Logger } from '../logger.js';
import { loadEndpointConfig } from '../config.js';
import { ensureRegistered } from '../registration.js';
import { findUserToken } from '../userToken.js';
import { removePid } from '../pidfile.js';
import { takeEndpointPidfile, type StartedEndpoint } from '../run.js';
import { MultiUserClient } from './client.js';
import { serviceConnections } from '../transport/serviceConnections.js';
import { checkEndpointVersion } from '../transport/versionCheck.js';
import { MultiUserEndpoint } from './multiUserEndpoint.js';
import { loadMultiUserSettings } from './settings.js';
import { lookupAccount, type LocalAccount } from './accounts.js';
import type { EndpointPaths } from '../paths.js';

export class MultiUserNeedsRoot extends Error {}

export interface StartedMultiUser extends Omit<StartedEndpoint, 'agent'> {
  agent: MultiUserEndpoint;
}

export async function startMultiUserEndpoint(
  paths: EndpointPaths,
  options: { env?: NodeJS.ProcessEnv; logger?: Logger; signal?: AbortSignal; serviceUrl?: string } = {},
): Promise<StartedMultiUser> {
  let runAs: LocalAccount | undefined;
  if (process.getuid?.() !== 0) {
    runAs = await lookupAccount(os.userInfo().username);
    if (!runAs || runAs.uid !== process.getuid?.()) {
      throw new MultiUserNeedsRoot(`endpoint "${paths.name}" has multi_user.yaml, and this account (uid ${process.getuid?.()}) is not in the user database to run its per-user endpoints as itself; run it as root to map users`);
    }
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
    if (runAs) log.info({ localUser: runAs.name }, 'not root: per-user endpoints run as this account (identity_mapping unused)');
    const multiUser = new MultiUserEndpoint({ paths, settings, multi, client, endpointId: identity.endpoint_id, credential: identity.credential, logger: log, runAs });
    // The same line as a single-user endpoint's: `start --detach` waits for it.
    log.info({ endpointId: identity.endpoint_id, service: settings.serviceUrl, multiUser: true }, 'endpoint started');
    const done = multiUser.run().finally(() => removePid(paths));
    return { settings, identity, agent: multiUser, done };
  } catch (error) {
    removePid(paths);
    throw error;
  }
}
