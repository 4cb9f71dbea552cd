/** endpoint.json: the id and credential the service issued, kept with mode 0600 and replaced atomically. */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '@funcx-ts/shared/atomicFile.js';
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
  // A crash mid-write must not leave a truncated file: the credential would be lost with it.
  writeFileAtomically(paths.identity, JSON.stringify(identity, null, 2) + '\n', 0o600);
}
