/** Local-mode API tokens: one identity may hold many; each can be revoked. */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { hashSecret, newSecret, USER_TOKEN_PREFIX } from '../auth/secrets.js';
import type { UserPrincipal } from '../auth/principal.js';
import { parseStored } from '../util/json.js';

export async function createToken(
  db: Knex,
  input: { identity: string; groups?: readonly string[]; description?: string },
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
  });
  return { tokenId, token };
}

export async function findUserByToken(db: Knex, token: string): Promise<UserPrincipal | undefined> {
  const row = await db('api_tokens')
    .select('identity', 'groups')
    .where({ token_hash: hashSecret(token) })
    .whereNull('revoked_at')
    .first();
  return row ? { kind: 'user', id: row.identity, groups: parseStored<string[]>(row.groups, []) } : undefined;
}

export async function revokeToken(db: Knex, tokenId: string): Promise<boolean> {
  return (await db('api_tokens').where({ id: tokenId }).whereNull('revoked_at').update({ revoked_at: now(db) })) > 0;
}
