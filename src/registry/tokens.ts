/**
 * Local-mode API tokens: one identity may hold many; each can expire and be revoked.
 * A token once accepted is remembered by the instance under the revocation feed's bound
 * (credentialCache.ts): revoked through this instance, it is refused at once; through the CLI
 * or another replica, within CREDENTIAL_CHECK_MS (5 s). A lone round trip is a submit and a
 * wait, and the lookup before each was measured at ~1 ms of its ~7 (docs/benchmarks.md).
 * Expiry is the database clock's: a cached token ends when the database's clock, read with
 * the token, says it does (measured on this instance's monotonic clock from before that read),
 * so replicas with skewed clocks still agree.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { now, nowPlus, nowSql } from '../db/clock.js';
import { hashSecret, newSecret, USER_TOKEN_PREFIX } from '../auth/secrets.js';
import type { UserPrincipal } from '../auth/principal.js';
import { parseStored } from '../util/json.js';
import { inTransaction } from '../db/transaction.js';
import { revokeCredentials, userTokenCacheOf } from './credentialCache.js';

export async function createToken(
  db: Knex,
  input: { identity: string; groups?: readonly string[]; description?: string; expiresInMs?: number },
): Promise<{ tokenId: string; token: string }> {
  const token = newSecret(USER_TOKEN_PREFIX);
  const tokenId = randomUUID();
  await db('api_tokens').insert({
    id: tokenId,
    token_hash: hashSecret(token),
    identity: input.identity,
    groups: JSON.stringify([...new Set(input.groups ?? [])]),
    description: input.description ?? null,
    created_at: now(db),
    expires_at: input.expiresInMs === undefined ? null : nowPlus(db, input.expiresInMs),
  });
  return { tokenId, token };
}

export async function findUserByToken(db: Knex, token: string): Promise<UserPrincipal | undefined> {
  const hash = hashSecret(token);
  const cache = userTokenCacheOf(db);
  const cached = await cache.get(hash);
  if (cached) return { ...cached }; // a copy: callers own the principal they are given
  const askedAt = performance.now();
  const row = await db('api_tokens')
    .select('id', 'identity', 'groups', 'expires_at', db.raw(`${nowSql(db)} AS db_now`))
    .where({ token_hash: hash })
    .whereNull('revoked_at')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.raw(nowSql(db))))
    .first();
  if (!row) return undefined;
  const principal: UserPrincipal = { kind: 'user', id: row.identity, groups: parseStored<string[]>(row.groups, []) };
  const endsAt = row.expires_at == null ? undefined : askedAt + (Number(row.expires_at) - Number(row.db_now));
  cache.set(hash, principal, { owners: [row.id], endsAt });
  return { ...principal };
}

/** Revokes the token in the database and through the feed: this instance refuses it at once, every other within the bound. */
export async function revokeToken(db: Knex, tokenId: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const revoked = (await trx('api_tokens').where({ id: tokenId }).whereNull('revoked_at').update({ revoked_at: now(trx) })) > 0;
    if (revoked) await revokeCredentials(trx, [tokenId]);
    return revoked;
  });
}

/** A token as `token list` shows it: never the secret (only its hash is stored anyway). */
export interface TokenListing {
  id: string;
  identity: string;
  groups: string[];
  description: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  /** active, expired or revoked, by the database's clock now. */
  state: 'active' | 'expired' | 'revoked';
}

export async function listTokens(db: Knex, options: { identity?: string } = {}): Promise<TokenListing[]> {
  const query = db('api_tokens')
    .select('id', 'identity', 'groups', 'description', 'created_at', 'expires_at', 'revoked_at', db.raw(`${nowSql(db)} AS db_now`))
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
  if (options.identity !== undefined) query.where({ identity: options.identity });
  const rows = (await query) as Record<string, unknown>[];
  const ms = (value: unknown) => (value == null ? null : Number(value));
  return rows.map((row) => {
    const expiresAt = ms(row.expires_at);
    const revokedAt = ms(row.revoked_at);
    return {
      id: String(row.id),
      identity: String(row.identity),
      groups: parseStored<string[]>(row.groups as string, []),
      description: (row.description as string | null) ?? null,
      createdAt: Number(row.created_at),
      expiresAt,
      revokedAt,
      state: revokedAt !== null ? 'revoked' : expiresAt !== null && expiresAt <= Number(row.db_now) ? 'expired' : 'active',
    };
  });
}
