/**
 * First start: register with the owner's token, keep the id and credential.
 * Later starts: re-register the same id (updating name, sharing and metadata)
 * when the owner's token is at hand; otherwise carry on with the stored credential.
 * An unreachable service is retried with backoff, forever, saying so.
 */
import os from 'node:os';
import type { Logger } from './logger.js';
import { Backoff } from './backoff.js';
import { ServiceUnreachable } from './errors.js';
import { readIdentity, writeIdentity, type EndpointIdentity } from './identity.js';
import type { ServiceClient } from './client.js';
import type { EndpointSettings } from './config.js';
import type { EndpointPaths } from './paths.js';
import type { EndpointRegisterRequest } from '@funcx-ts/shared/wire/endpoint-register.js';

export class RegistrationNeedsToken extends Error {}

export async function ensureRegistered(
  input: {
    paths: EndpointPaths; settings: EndpointSettings; client: ServiceClient; userToken?: string; logger: Logger; signal?: AbortSignal;
    /** More of the registration (a multi-user endpoint's multi_user, allow_any_user). */
    extra?: Partial<EndpointRegisterRequest>;
  },
): Promise<EndpointIdentity> {
  const { paths, settings, client, userToken, logger } = input;
  const stored = readIdentity(paths);
  const known = stored && stored.service_url === settings.serviceUrl ? stored : undefined;
  if (known && !userToken) return known;
  if (!userToken) {
    throw new RegistrationNeedsToken(
      `endpoint "${paths.name}" is not registered with ${settings.serviceUrl} yet; registering needs the owner's API token: ` +
        'set FUNCX_TOKEN (see `funcx-service token create`), or run on the machine whose FUNCX_HOME holds quickstart.json',
    );
  }
  const body = {
    name: settings.name,
    display_name: settings.displayName,
    public: settings.public,
    allowed_functions: settings.allowedFunctions,
    allowed_groups: settings.allowedGroups,
    metadata: { hostname: os.hostname(), provider: settings.provider.type, runtimes: settings.runtimes, max_workers: settings.maxWorkers },
    ...input.extra,
  };
  const backoff = new Backoff(500, 30_000);
  for (;;) {
    try {
      const answer = await client.register(userToken, body, known?.endpoint_id);
      const identity: EndpointIdentity = {
        endpoint_id: answer.endpoint_id,
        credential: answer.credential ?? known!.credential,
        service_url: settings.serviceUrl,
      };
      writeIdentity(paths, identity);
      logger.info({ endpointId: identity.endpoint_id, first: !known }, known ? 're-registered' : 'registered');
      return identity;
    } catch (error) {
      if (!(error instanceof ServiceUnreachable) || input.signal?.aborted) throw error;
      await backoff.wait(error, input.signal, (wait) => logger.warn({ err: error.message, retryInMs: wait }, 'service unreachable while registering; retrying'));
      if (input.signal?.aborted) throw error;
    }
  }
}
