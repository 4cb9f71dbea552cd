/**
 * `funcx-service token create | list | revoke`: local API tokens (FUNCX_AUTH_MODE=local).
 * Each opens the database itself (migrating first, as `serve` would), acts, and closes it.
 * A revoked or expired token is refused by every replica from its next request on: the
 * service looks tokens up in the database on every request (src/registry/tokens.ts).
 */
import type { Knex } from 'knex';
import { UsageError, optionString } from '@funcx-ts/shared/cli/commandTable.js';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import { createToken, listTokens, revokeToken } from '../../registry/tokens.js';
import { formatDuration, isoOrNull, parseDuration } from '../../util/time.js';
import type { ServiceCommand } from '../command.js';

/** Opens the configured database for one command; refuses in oidc mode, where local tokens are not accepted. */
async function withTokenDatabase<T>(act: (db: Knex) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (config.authMode !== 'local') {
    throw new UsageError(`FUNCX_AUTH_MODE=${config.authMode}: users bring access tokens from the identity provider; local API tokens are not accepted`);
  }
  const db = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax });
  try {
    await migrateLatest(db);
    return await act(db);
  } finally {
    await db.destroy();
  }
}

export const tokenCreateCommand: ServiceCommand = {
  name: 'token create',
  synopsis: '--user NAME [--group G ...] [--description TEXT] [--expires DURATION] [--json]',
  summary: 'print a new API token for that identity on stdout (its id on stderr); --expires 90d: it stops working then',
  options: {
    user: { type: 'string' },
    group: { type: 'string', multiple: true },
    description: { type: 'string' },
    expires: { type: 'string' },
    json: { type: 'boolean' },
  },
  required: ['user'],
  positionals: { min: 0, max: 0 },
  async run(values) {
    const user = optionString(values, 'user')!;
    const expiresText = optionString(values, 'expires');
    const expiresInMs = expiresText === undefined ? undefined : parseDuration(expiresText);
    if (expiresInMs === 0 || (expiresText !== undefined && expiresInMs === undefined)) {
      throw new UsageError(`token create: --expires must be a duration such as 90d, 12h or 30m, not ${JSON.stringify(expiresText)}`);
    }
    const created = await withTokenDatabase(async (db) => {
      const { tokenId, token } = await createToken(db, { identity: user, groups: (values.group as string[] | undefined) ?? [], description: optionString(values, 'description'), expiresInMs });
      const [listing] = (await listTokens(db, { identity: user })).filter((t) => t.id === tokenId);
      return { tokenId, token, expiresAt: listing?.expiresAt ?? null };
    });
    if (values.json) {
      console.log(JSON.stringify({ token_id: created.tokenId, token: created.token, identity: user, expires_at: isoOrNull(created.expiresAt) }));
    } else {
      // stdout: the token alone (TOKEN=$(funcx-service token create ...)); stderr: what to keep to revoke it.
      console.log(created.token);
      const expiry = created.expiresAt === null ? 'never expires' : `expires ${isoOrNull(created.expiresAt)} (in ${formatDuration(expiresInMs!)})`;
      console.error(`token id ${created.tokenId} for ${user}; ${expiry}; revoke with: funcx-service token revoke ${created.tokenId}`);
    }
    return 0;
  },
};

export const tokenListCommand: ServiceCommand = {
  name: 'token list',
  synopsis: '[--user NAME] [--json]',
  summary: 'every API token (never the secret): id, identity, groups, state, created, expires, description',
  options: { user: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run(values) {
    const tokens = await withTokenDatabase((db) => listTokens(db, { identity: optionString(values, 'user') }));
    if (values.json) {
      console.log(JSON.stringify(tokens.map((t) => ({
        token_id: t.id, identity: t.identity, groups: t.groups, description: t.description, state: t.state,
        created_at: isoOrNull(t.createdAt), expires_at: isoOrNull(t.expiresAt), revoked_at: isoOrNull(t.revokedAt),
      }))));
      return 0;
    }
    const rows = tokens.map((t) => [t.id, t.identity, t.state, isoOrNull(t.createdAt) ?? '-', isoOrNull(t.expiresAt) ?? 'never', t.groups.join(',') || '-', t.description ?? '']);
    const header = ['token_id', 'identity', 'state', 'created', 'expires', 'groups', 'description'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
    return 0;
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const tokenRevokeCommand: ServiceCommand = {
  name: 'token revoke',
  synopsis: 'TOKEN_ID',
  summary: 'revoke a token (its id from token create or token list): refused by every replica within 5 s',
  positionals: { min: 1, max: 1 },
  async run(_values, [tokenId]) {
    if (!UUID.test(tokenId)) throw new UsageError(`token revoke: not a token id: ${JSON.stringify(tokenId)} (ids are listed by: funcx-service token list)`);
    const outcome = await withTokenDatabase(async (db) => {
      if (await revokeToken(db, tokenId.toLowerCase())) return 'revoked';
      return (await listTokens(db)).some((t) => t.id === tokenId.toLowerCase()) ? 'already revoked' : 'unknown';
    });
    if (outcome === 'unknown') {
      console.error(`funcx-service: no token ${tokenId}`);
      return 1;
    }
    console.log(`token ${tokenId} ${outcome}`);
    return 0;
  },
};
