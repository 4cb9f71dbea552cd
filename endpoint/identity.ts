/** endpoint.json: the id and credential the service issued, kept with mode 0600. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { EndpointPaths } from './paths.js';

export interface EndpointIdentity {
  endpoint_id: string;
  credential: string;
  service_url: string;
}

export function readIdentity(paths: EndpointPaths): EndpointIdentity | undefined {
  if (!existsSync(paths.identity)) return undefined;
  return JSON.parse(readFileSync(paths.identity, 'utf8')) as EndpointIdentity;
}

export function writeIdentity(paths: EndpointPaths, identity: EndpointIdentity): void {
  writeFileSync(paths.identity, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
  chmodSync(paths.identity, 0o600);
}
