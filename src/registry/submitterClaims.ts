/**
 * The identity claims (username, email, ...) last seen for a user who submitted
 * to a multi-user endpoint: what its identity mapping matches on. Kept per
 * identity, not per task. A local API token has no claims but its identity.
 */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { parseStored } from '../util/json.js';
import type { UserPrincipal } from '../auth/principal.js';

export async function recordSubmitterClaims(db: Knex, user: UserPrincipal): Promise<void> {
  const claims = JSON.stringify(user.claims ?? {});
  await db('submitter_claims')
    .insert({ identity: user.id, claims, updated_at: now(db) })
    .onConflict('identity')
    .merge(['claims', 'updated_at']);
}

export async function loadSubmitterClaims(db: Knex, identities: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const claims = new Map<string, Record<string, string>>();
  for (let start = 0; start < identities.length; start += 500) {
    const rows = await db('submitter_claims').select('identity', 'claims').whereIn('identity', identities.slice(start, start + 500));
    for (const row of rows) claims.set(row.identity, parseStored<Record<string, string>>(row.claims, {}));
  }
  return claims;
}
