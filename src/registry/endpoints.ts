/** The endpoint registry: who owns an endpoint, who may use it, and how it is doing. */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { jsonArraySql, parseJsonArray } from '../db/jsonArray.js';
import { EndpointAccessForbidden, EndpointNotFound } from '../errors.js';
import { ENDPOINT_CREDENTIAL_PREFIX, hashSecret, newSecret } from '../auth/secrets.js';
import { sharesGroup, type EndpointPrincipal, type UserPrincipal } from '../auth/principal.js';
import { isoOrNull } from '../util/time.js';
import { credentialCacheOf, revokeCredentials } from './credentialCache.js';
import { parseStored } from '../util/json.js';
import type { EndpointRegisterRequest } from '@funcx-ts/shared/wire/endpoint-register.js';
import type { EndpointRegisterResponse } from '@funcx-ts/shared/wire/endpoint-register-response.js';
import type { EndpointRecord } from '@funcx-ts/shared/wire/endpoint.js';

export interface EndpointRow {
  id: string;
  owner: string;
  name: string;
  display_name: string;
  public: number | boolean;
  metadata: string;
  created_at: number;
  last_heartbeat_at: number | null;
  last_report: string | null;
  deleted_at: number | null;
  allowed_functions: string[];
  allowed_groups: string[];
  multi_user?: number | boolean;
  allow_any_user?: number | boolean;
  parent_id?: string | null;
  serves_identity?: string | null;
  user_config_key?: string | null;
  last_error?: string | null;
  /** The agent's own word on why it went away (registry/endpointState.ts); cleared by its next heartbeat. */
  state_event?: string | null;
  state_detail?: string | null;
  state_at?: number | null;
  online_since?: number | null;
}

/**
 * Registers a new endpoint, or re-registers a known id (the agent's restart).
 * A credential is returned only when one is issued: first registration, a
 * re-registration asking to rotate, or an endpoint that has none.
 */
export async function registerEndpoint(
  db: Knex,
  principal: UserPrincipal,
  input: EndpointRegisterRequest,
  knownId?: string,
): Promise<EndpointRegisterResponse> {
  return inTransaction(db, async (trx) => {
    const existing = knownId ? await trx('endpoints').where({ id: knownId }).first() : undefined;
    const id = existing?.id ?? knownId ?? randomUUID();
    if (existing) {
      if (existing.deleted_at != null) throw new EndpointNotFound(`endpoint ${id} was deleted; register a new one`);
      if (existing.owner !== principal.id) {
        if (!existing.public) throw new EndpointNotFound(`endpoint ${id} not found`);
        throw new EndpointAccessForbidden(`endpoint ${id} belongs to someone else`);
      }
      // A per-user endpoint is made and re-credentialed by its multi-user endpoint only.
      if (existing.parent_id != null) throw new EndpointAccessForbidden(`endpoint ${id} is a per-user endpoint of ${existing.parent_id}`);
    }
    const issue = !existing || input.rotate_credential === true || existing.credential_hash == null;
    const credential = issue ? newSecret(ENDPOINT_CREDENTIAL_PREFIX) : undefined;
    const columns = {
      name: input.name,
      display_name: input.display_name ?? existing?.display_name ?? input.name,
      public: input.public ?? existing?.public ?? false,
      metadata: JSON.stringify(input.metadata ?? parseStored(existing?.metadata, {})),
      // multi_user is fixed at first registration: turning it on later would let an endpoint that
      // runs tasks as its owner start running them as other users' accounts, and off the reverse.
      ...(existing ? {} : { multi_user: input.multi_user ?? false }),
      allow_any_user: Boolean(existing?.multi_user ?? input.multi_user) && (input.allow_any_user ?? Boolean(existing?.allow_any_user)),
      ...(credential ? { credential_hash: hashSecret(credential) } : {}),
      updated_at: now(trx),
    };
    if (existing) await trx('endpoints').where({ id }).update(columns);
    if (existing && credential) await revokeCredentials(trx, [id]); // the rotated-out credential is refused from now on
    if (!existing) await trx('endpoints').insert({ id, owner: principal.id, created_at: now(trx), ...columns });
    if (input.allowed_functions) await replaceAllowed(trx, 'endpoint_allowed_functions', 'function_id', id, input.allowed_functions.map((f) => f.toLowerCase()));
    if (input.allowed_groups) await replaceAllowed(trx, 'endpoint_allowed_groups', 'group_id', id, input.allowed_groups);
    return { endpoint_id: id, name: input.name, ...(credential ? { credential } : {}) };
  });
}

/**
 * Rows per INSERT of an allowed list: knex writes SQLite's multi-row insert as a compound
 * SELECT, which SQLite caps at 500 terms, while the schemas allow 1,000 allowed functions.
 */
const ALLOWED_INSERT_CHUNK = 250;

async function replaceAllowed(trx: Knex, table: string, column: string, endpointId: string, values: readonly string[]): Promise<void> {
  await trx(table).where({ endpoint_id: endpointId }).delete();
  for (let start = 0; start < values.length; start += ALLOWED_INSERT_CHUNK) {
    await trx(table).insert(values.slice(start, start + ALLOWED_INSERT_CHUNK).map((value) => ({ endpoint_id: endpointId, [column]: value })));
  }
}

export async function loadEndpoint(db: Knex, id: string): Promise<EndpointRow | undefined> {
  // One statement: the allowed lists come folded into the endpoint's row (src/db/jsonArray.ts).
  const row = await db('endpoints')
    .select(
      'endpoints.*',
      db.raw(`${jsonArraySql(db, 'function_id', 'endpoint_allowed_functions', 'endpoint_id = endpoints.id')} AS allowed_functions_json`),
      db.raw(`${jsonArraySql(db, 'group_id', 'endpoint_allowed_groups', 'endpoint_id = endpoints.id')} AS allowed_groups_json`),
    )
    .where('endpoints.id', id)
    .whereNull('endpoints.deleted_at')
    .first();
  if (!row) return undefined;
  const { allowed_functions_json, allowed_groups_json, ...endpoint } = row;
  return { ...endpoint, allowed_functions: parseJsonArray(allowed_functions_json), allowed_groups: parseJsonArray(allowed_groups_json) };
}

/**
 * Who may send tasks to an endpoint (and see its status): its owner and members of its
 * allowed groups; for a multi-user endpoint open to any user, everyone; for a per-user
 * endpoint, its owner (the administrator) and the one user it serves.
 */
export function canUseEndpoint(principal: UserPrincipal, endpoint: EndpointRow): boolean {
  if (endpoint.owner === principal.id) return true;
  if (endpoint.parent_id != null) return endpoint.serves_identity === principal.id;
  return sharesGroup(principal, endpoint.allowed_groups) || (Boolean(endpoint.multi_user) && Boolean(endpoint.allow_any_user));
}

/** Visible: usable, or public (discoverable). Others get EndpointNotFound, not a hint. */
export async function getVisibleEndpoint(db: Knex, principal: UserPrincipal, id: string): Promise<EndpointRow> {
  const endpoint = await loadEndpoint(db, id);
  if (!endpoint || !(canUseEndpoint(principal, endpoint) || Boolean(endpoint.public))) {
    throw new EndpointNotFound(`endpoint ${id} not found`);
  }
  return endpoint;
}

export async function getOwnedEndpoint(db: Knex, principal: UserPrincipal, id: string): Promise<EndpointRow> {
  const endpoint = await getVisibleEndpoint(db, principal, id);
  if (endpoint.owner !== principal.id) throw new EndpointAccessForbidden(`only the owner of endpoint ${id} may do that`);
  return endpoint;
}

export async function setAllowedFunctions(db: Knex, endpointId: string, functionIds: readonly string[]): Promise<void> {
  const unique = [...new Set(functionIds.map((f) => f.toLowerCase()))];
  await inTransaction(db, (trx) => replaceAllowed(trx, 'endpoint_allowed_functions', 'function_id', endpointId, unique));
}

/** Soft-deletes the endpoint and revokes its credential; the ledger fails its unfinished tasks. */
export async function markEndpointDeleted(trx: Knex, endpointId: string): Promise<void> {
  await trx('endpoints').where({ id: endpointId }).update({ deleted_at: now(trx), credential_hash: null });
  await revokeCredentials(trx, [endpointId]);
}

/**
 * Revokes the endpoint's credential (a leak, a retired machine) without
 * deleting the endpoint: its agent is refused from now on; the owner's next
 * re-registration (PUT) issues a new one. Leased tasks return to the queue
 * when their leases expire, as for any lost endpoint.
 */
export async function revokeEndpointCredential(db: Knex, endpointId: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const revoked = (await trx('endpoints').where({ id: endpointId }).whereNotNull('credential_hash').update({ credential_hash: null, updated_at: now(trx) })) > 0;
    if (revoked) await revokeCredentials(trx, [endpointId]);
    return revoked;
  });
}

/** The endpoint a credential belongs to; a known one is remembered under the revocation feed's bound (credentialCache.ts). */
export async function findEndpointByCredential(db: Knex, credential: string): Promise<EndpointPrincipal | undefined> {
  const hash = hashSecret(credential);
  const cache = credentialCacheOf(db);
  const cached = await cache.get(hash);
  if (cached) return cached;
  const row = await db('endpoints')
    .select('id', 'owner', 'multi_user', 'parent_id', 'serves_identity', 'user_config_key')
    .where({ credential_hash: hash })
    .whereNull('deleted_at')
    .first();
  if (!row) return undefined;
  const principal: EndpointPrincipal = { kind: 'endpoint', endpointId: row.id, owner: row.owner };
  if (row.multi_user) principal.multiUser = true;
  if (row.parent_id != null) principal.userEndpointOf = { parentId: row.parent_id, identity: row.serves_identity, userConfigKey: row.user_config_key };
  // A per-user endpoint's credential also ends with its multi-user endpoint.
  cache.set(hash, principal, { owners: row.parent_id != null ? [row.id, row.parent_id] : [row.id] });
  return principal;
}

/** Heartbeating, and not since said it stopped or failed (an agent that stopped cleanly is offline at once). */
export function isOnline(endpoint: Pick<EndpointRow, 'last_heartbeat_at' | 'state_event'>, dbNow: number, offlineAfterMs: number): boolean {
  return endpoint.state_event == null && endpoint.last_heartbeat_at != null && dbNow - Number(endpoint.last_heartbeat_at) <= offlineAfterMs;
}

/** The fields every endpoint listing shows (native and upstream), with online/offline from the database clock. */
export function endpointListItem(row: EndpointRow, dbNow: number, offlineAfterMs: number) {
  return {
    endpoint_id: row.id,
    name: row.name,
    display_name: row.display_name,
    owner: row.owner,
    public: Boolean(row.public),
    status: isOnline(row, dbNow, offlineAfterMs) ? 'online' as const : 'offline' as const,
  };
}

export function toEndpointRecord(endpoint: EndpointRow, online: boolean): EndpointRecord {
  return {
    endpoint_id: endpoint.id,
    name: endpoint.name,
    display_name: endpoint.display_name,
    owner: endpoint.owner,
    public: Boolean(endpoint.public),
    allowed_functions: endpoint.allowed_functions,
    allowed_groups: endpoint.allowed_groups,
    metadata: parseStored<Record<string, unknown>>(endpoint.metadata, {}),
    status: online ? 'online' : 'offline',
    created_at: isoOrNull(endpoint.created_at)!,
    last_heartbeat_at: isoOrNull(endpoint.last_heartbeat_at),
    multi_user: Boolean(endpoint.multi_user),
    ...(endpoint.multi_user ? { allow_any_user: Boolean(endpoint.allow_any_user) } : {}),
    ...(endpoint.parent_id != null
      ? { parent_endpoint_id: endpoint.parent_id, serves_identity: endpoint.serves_identity ?? '', last_error: endpoint.last_error ?? null }
      : {}),
  };
}

/**
 * owner: the caller's; any: also public endpoints, those shared with the caller's groups,
 * multi-user endpoints open to any user, and the per-user endpoints serving the caller.
 */
export async function listEndpoints(db: Knex, principal: UserPrincipal, role: 'owner' | 'any'): Promise<EndpointRow[]> {
  const query = db('endpoints')
    .select('id', 'owner', 'name', 'display_name', 'public', 'last_heartbeat_at', 'created_at', 'multi_user', 'parent_id', 'state_event', 'state_detail', 'state_at', 'online_since')
    .whereNull('deleted_at')
    .andWhere((who) => {
      who.where('owner', principal.id);
      if (role === 'any') {
        who.orWhere('public', true);
        who.orWhere((open) => open.where('multi_user', true).andWhere('allow_any_user', true));
        who.orWhere('serves_identity', principal.id);
        if (principal.groups.length > 0) {
          who.orWhereIn('id', db('endpoint_allowed_groups').select('endpoint_id').whereIn('group_id', [...principal.groups]));
        }
      }
    })
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
  return (await query).map((row: EndpointRow) => ({ ...row, allowed_functions: [], allowed_groups: [] }));
}
