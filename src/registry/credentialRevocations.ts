/**
 * The revocation feed behind the credential cache (credentialCache.ts). Every change that ends an
 * endpoint credential's life (revoked, rotated, its endpoint deleted, a per-user endpoint's
 * credential replaced) writes a row here in the same transaction. A service instance that has a
 * credential cached asks "which endpoints lost a credential lately?" at most once per
 * CREDENTIAL_CHECK_MS, one indexed read for all its callers, instead of looking up every call's
 * credential: an idle fleet's polls then cost no credential query, and a credential revoked
 * through any replica is still refused by every replica within CREDENTIAL_CHECK_MS.
 *
 * The read is by time, not by id: an auto-increment id is taken when a row is written and seen
 * only at commit, so a reader going by "ids after the last one I saw" could step over a row that
 * commits late. Each read covers the time since the previous read plus COMMIT_MARGIN_MS, so a
 * row whose transaction committed up to that long after it was written is still read.
 *
 * The column `endpoint_id` is named for the feed's first use: it holds the id that owns the ended
 * credential, an endpoint's id or (since local API tokens are cached too) an API token's id. Both
 * are random UUIDs, so one never ends the other's credential.
 */
import type { Knex } from 'knex';
import { now, nowSql } from '../db/clock.js';

/** How late after its write a revocation row may commit and still be read (longer than any transaction here). */
export const COMMIT_MARGIN_MS = 60_000;
/** Rows are kept this long; a reader whose last read is older forgets everything instead. */
export const REVOCATION_KEEP_MS = 60 * 60_000;

/**
 * Writes the revocation rows, in the caller's transaction with the change they record
 * (revokeCredentials in credentialCache.ts also forgets them in this process).
 */
export async function writeCredentialRevocations(trx: Knex, ownerIds: readonly string[]): Promise<void> {
  await trx('credential_revocations').insert(ownerIds.map((id) => ({ endpoint_id: id, revoked_at: now(trx) })));
}

/**
 * Deletes the rows past REVOCATION_KEEP_MS (maintenance's purge). The old rows are found by a
 * plain read and deleted by id: a ranged DELETE would lock the first newer row to see where the
 * range ends, and wait on a revocation whose transaction has not committed.
 */
export async function pruneCredentialRevocations(db: Knex): Promise<number> {
  const ids: number[] = await db('credential_revocations').where('revoked_at', '<', db.raw(`${nowSql(db)} - ?`, [REVOCATION_KEEP_MS])).limit(1000).pluck('id');
  return ids.length === 0 ? 0 : db('credential_revocations').whereIn('id', ids).delete();
}

/** The endpoints and API tokens whose credentials were revoked within the last windowMs (database clock). */
export async function credentialsRevokedWithin(db: Knex, windowMs: number): Promise<string[]> {
  return db('credential_revocations')
    .where('revoked_at', '>=', db.raw(`${nowSql(db)} - ?`, [Math.ceil(windowMs)]))
    .distinct('endpoint_id')
    .pluck('endpoint_id');
}
