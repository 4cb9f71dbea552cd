/**
 * First start on a fresh FUNCX_HOME: an admin identity, its API token, and
 * $FUNCX_HOME/quickstart.json (mode 0600) holding what a client needs to connect.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ensurePrivateDir } from './util/privateFiles.js';
import path from 'node:path';
import type { Knex } from 'knex';
import { createToken } from './registry/tokens.js';
import { writeFileAtomically } from './util/atomicFile.js';

export const ADMIN_IDENTITY = 'admin';

export interface Quickstart {
  service_url: string;
  token: string;
  identity: string;
  endpoint_id?: string;
}

export function quickstartPath(home: string): string {
  return path.resolve(home, 'quickstart.json');
}

/** Returns the file's path and whether it was created now. */
export async function ensureQuickstart(db: Knex, home: string, serviceUrl: string): Promise<{ file: string; created: boolean }> {
  const file = quickstartPath(home);
  if (existsSync(file)) {
    // The URL may change between starts (FUNCX_PORT); the token stays.
    const current = JSON.parse(readFileSync(file, 'utf8')) as Quickstart;
    if (current.service_url !== serviceUrl) writeQuickstart(file, { ...current, service_url: serviceUrl });
    return { file, created: false };
  }
  const { token } = await createToken(db, { identity: ADMIN_IDENTITY, description: 'created on first start for quickstart.json' });
  writeQuickstart(file, { service_url: serviceUrl, token, identity: ADMIN_IDENTITY });
  return { file, created: true };
}

/** Written atomically: tools and SDKs reading it never see it half-written. */
export function writeQuickstart(file: string, content: Quickstart): void {
  ensurePrivateDir(path.dirname(file));
  writeFileAtomically(file, JSON.stringify(content, null, 2) + '\n', 0o600);
}
