/**
 * funcx-endpoint's public entry (`import ... from 'funcx-endpoint'`): what another program may
 * use to run an endpoint without reaching into the package. The service's quick start
 * (`funcx-service serve --local-endpoint NAME`, src/localEndpoint.ts) is its user: it configures
 * an endpoint on first use, starts the CLI as a child, and reads the id it registered under.
 */
import { existsSync } from 'node:fs';
import { writeConfigTemplate } from './config.js';
import { readIdentity } from './identity.js';
import { endpointPaths } from './paths.js';
import { selfCommand, type SelfCommand } from './selfCommand.js';

export type { SelfCommand };

/** The command line of the `funcx-endpoint` CLI (append its arguments: `start NAME ...`). */
export function endpointCommand(): SelfCommand {
  return selfCommand('cli');
}

/** Writes endpoint NAME's config.yaml under `home` (as `funcx-endpoint configure` does) unless it has one. */
export function configureEndpointIfMissing(name: string, home: string, serviceUrl: string): void {
  const paths = endpointPaths(name, home);
  if (!existsSync(paths.config)) writeConfigTemplate(paths, serviceUrl);
}

/** The id endpoint NAME registered under at `serviceUrl`, once it has (undefined before, or for another service). */
export function registeredEndpointId(name: string, home: string, serviceUrl: string): string | undefined {
  const identity = readIdentity(endpointPaths(name, home));
  return identity?.service_url === serviceUrl.replace(/\/+$/, '') ? identity.endpoint_id : undefined;
}

