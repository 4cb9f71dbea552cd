/**
 * Local-mode API tokens: one identity may hold many; each can expire and be revoked.
 * Every request looks its token up here (no cache): a revoked or expired token is refused
 * by every replica from the next request on. Expiry is compared with the database's clock,
 * so replicas with skewed clocks agree.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now, nowPlus, nowSql } from '../db/clock.js';
import { hashSecret, newSecret, USER_TOKEN_PREFIX } from '../auth/secrets.js';
import type { UserPrincipal } from '../auth/principal.js';
import { parseStored } from '../util/json.js';

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
  const row = await db('api_tokens')
    .select('identity', 'groups')
    .where({ token_hash: hashSecret(token) })
    .whereNull('revoked_at')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.raw(nowSql(db))))
    .first();
  return row ? { kind: 'user', id: row.identity, groups: parseStored<string[]>(row.groups, []) } : undefined;
}

export async function revokeToken(db: Knex, tokenId: string): Promise<boolean> {
  return (await db('api_tokens').where({ id: tokenId }).whereNull('revoked_at').update({ revoked_at: now(db) })) > 0;
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
