/**
 * Per-user endpoints: children of a multi-user endpoint, one per (user,
 * settings), each with its own credential that leases only that user's tasks
 * with those settings (src/ledger/leaseUserTasks.ts). The multi-user endpoint
 * makes them; users see their own, its owner sees all.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now, readNow } from '../db/clock.js';
import { inTransaction, isDuplicateKeyError } from '../db/transaction.js';
import { ENDPOINT_CREDENTIAL_PREFIX, hashSecret, newSecret } from '../auth/secrets.js';
import { isoOrNull } from '../util/time.js';
import { isOnline, type EndpointRow } from './endpoints.js';
import type { EndpointStatusResponse } from '@funcx-ts/shared/wire/endpoint-status.js';
import { revokeCredentials } from './credentialCache.js';

export interface UserEndpointCredential {
  endpoint_id: string;
  name: string;
  credential: string;
}

/**
 * The per-user endpoint of (parent, identity, settings), made on first use, with a
 * fresh credential each call: the process being started gets it, and any earlier
 * process of it (killed, or lost with a crashed multi-user endpoint) is cut off.
 */
export async function issueUserEndpoint(
  db: Knex,
  parent: { id: string; owner: string; name: string },
  input: { identity: string; userConfigKey: string; localUser?: string },
): Promise<UserEndpointCredential> {
  const credential = newSecret(ENDPOINT_CREDENTIAL_PREFIX);
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(db, async (trx) => {
        const existing = await trx('endpoints')
          .where({ parent_id: parent.id, serves_identity: input.identity, user_config_key: input.userConfigKey })
          .first('id', 'name');
        if (existing) {
          await trx('endpoints').where({ id: existing.id }).update({ credential_hash: hashSecret(credential), deleted_at: null, updated_at: now(trx) });
          await revokeCredentials(trx, [existing.id]); // the replaced credential is refused from now on
          return { endpoint_id: existing.id, name: existing.name, credential };
        }
        const id = randomUUID();
        const name = `${parent.name}.u-${input.userConfigKey.slice(0, 12)}`.slice(0, 128);
        await trx('endpoints').insert({
          id,
          owner: parent.owner,
          name,
          display_name: `${parent.name} for ${input.identity}`.slice(0, 256),
          public: false,
          metadata: JSON.stringify(input.localUser ? { local_user: input.localUser } : {}),
          credential_hash: hashSecret(credential),
          parent_id: parent.id,
          serves_identity: input.identity,
          user_config_key: input.userConfigKey,
          created_at: now(trx),
          updated_at: now(trx),
        });
        return { endpoint_id: id, name, credential };
      });
    } catch (error) {
      // Two calls raced to make it: the loser finds the winner's row on its next try.
      if (!isDuplicateKeyError(error) || attempt > 0) throw error;
    }
  }
}

/** Records (or clears, with null) what went wrong for the per-user endpoint of (parent, identity, settings). */
export async function recordUserEndpointError(db: Knex, parentId: string, input: { identity: string; userConfigKey: string; error: string | null }): Promise<void> {
  await db('endpoints')
    .where({ parent_id: parentId, serves_identity: input.identity, user_config_key: input.userConfigKey })
    .update({ last_error: input.error });
}

/** Deletes a multi-user endpoint's per-user endpoints (with their credentials); returns their ids. */
export async function deleteUserEndpoints(trx: Knex, parentId: string): Promise<string[]> {
  const ids: string[] = await trx('endpoints').where({ parent_id: parentId }).whereNull('deleted_at').pluck('id');
  if (ids.length > 0) await trx('endpoints').whereIn('id', ids).update({ deleted_at: now(trx), credential_hash: null });
  await revokeCredentials(trx, ids);
  return ids;
}

type UserEndpointStatus = NonNullable<EndpointStatusResponse['user_endpoints']>[number];

/** A multi-user endpoint's per-user endpoints as its status shows them (one identity's, or all). */
export async function userEndpointStatuses(
  db: Knex,
  parentId: string,
  input: { identity?: string; offlineAfterMs: number },
): Promise<UserEndpointStatus[]> {
  const query = db('endpoints')
    .select('id', 'serves_identity', 'user_config_key', 'last_heartbeat_at', 'last_error', 'state_event')
    .where({ parent_id: parentId })
    .whereNull('deleted_at')
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
  if (input.identity !== undefined) query.andWhere('serves_identity', input.identity);
  const [rows, dbNow] = await Promise.all([query, readNow(db)]);
  return rows.map((row: { id: string; serves_identity: string; user_config_key: string; last_heartbeat_at: number | null; last_error: string | null; state_event: string | null }) => ({
    endpoint_id: row.id,
    identity: row.serves_identity,
    user_config_key: row.user_config_key,
    status: isOnline(row, dbNow, input.offlineAfterMs) ? 'online' : 'offline',
    last_heartbeat_at: isoOrNull(row.last_heartbeat_at),
    last_error: row.last_error ?? null,
  }));
}

/** Listing order: each per-user endpoint right after its multi-user endpoint (orphans, whose parent is not listed, at the end). */
export function childrenFirst<T extends Pick<EndpointRow, 'id' | 'parent_id'>>(rows: readonly T[]): T[] {
  const children = new Map<string, T[]>();
  const listed = new Set(rows.map((row) => row.id));
  const ordered: T[] = [];
  const orphans: T[] = [];
  for (const row of rows) {
    if (row.parent_id == null) continue;
    if (listed.has(row.parent_id)) children.set(row.parent_id, [...(children.get(row.parent_id) ?? []), row]);
    else orphans.push(row);
  }
  for (const row of rows) {
    if (row.parent_id != null) continue;
    ordered.push(row, ...(children.get(row.id) ?? []));
  }
  return [...ordered, ...orphans];
}
