/**
 * At start, before registering: does the service still serve this endpoint's
 * version? GET /v2/version's min_endpoint_version (read leniently,
 * sdk/transport/versionCompat.ts) newer than ours stops the start with a
 * sentence naming both versions; an unreachable service does not stop it
 * (the agent's loops wait out outages, as before).
 */
import { packageVersion } from '../version.js';
import { versionProblem } from '@funcx-ts/shared/transport/versionCompat.js';
import type { ServiceClient } from '../client.js';
import { ServiceRejected, ServiceUnreachable } from '../errors.js';

/** The service no longer serves this endpoint's version: upgrade funcx-endpoint on this host. */
export class EndpointVersionTooOld extends Error {}

export async function checkEndpointVersion(client: ServiceClient, log: { warn(fields: object, message: string): void }, own = packageVersion()): Promise<void> {
  let body: unknown;
  try {
    body = await client.version();
  } catch (error) {
    if (error instanceof ServiceUnreachable || error instanceof ServiceRejected) {
      log.warn({ err: error.message }, 'could not read the service\'s version; starting anyway');
      return;
    }
    throw error;
  }
  const problem = versionProblem(body, 'endpoint', own, 'npm install funcx-endpoint@latest on this host, then funcx-endpoint restart');
  if (problem) throw new EndpointVersionTooOld(problem);
}
