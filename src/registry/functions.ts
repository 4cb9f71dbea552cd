/** The function registry: register once, run by id; shared by `public` or groups. */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { jsonArraySql, parseJsonArray } from '../db/jsonArray.js';
import { FunctionAccessForbidden, FunctionNotFound } from '../errors.js';
import { sharesGroup, type UserPrincipal } from '../auth/principal.js';
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import type { FunctionRegisterRequest } from '@funcx-ts/shared/wire/function-register.js';
import type { FunctionUpdateRequest } from '@funcx-ts/shared/wire/function-update.js';
import type { FunctionRecord } from '@funcx-ts/shared/wire/function.js';
import type { FunctionSearchResponse } from '@funcx-ts/shared/wire/function-search-response.js';

export type Runtime = FunctionRecord['runtime'];

/** What the ledger and the endpoint need to run a function. */
export interface FunctionRow {
  id: string;
  owner: string;
  name: string;
  runtime: Runtime;
  source: string;
  entry_point: string | null;
  /** 'globus-compute': source is the upstream SDKs' packed function_code (POST /v2/functions). */
  code_serializer?: 'globus-compute' | null;
  /** The container image its tasks run in (null: the endpoint's default). */
  container_image?: string | null;
  description: string;
  public: number | boolean;
  searchable: number | boolean;
  metadata: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  group_ids: string[];
}

export async function registerFunction(
  db: Knex,
  owner: string,
  input: FunctionRegisterRequest,
  /** How source is encoded when it is not source text (the upstream SDKs' packed code). */
  codeSerializer?: 'globus-compute',
): Promise<string> {
  const id = randomUUID();
  await inTransaction(db, async (trx) => {
    await trx('functions').insert({
      id,
      owner,
      name: input.name ?? input.entry_point ?? `${input.runtime}-function`,
      runtime: input.runtime,
      source: input.source,
      entry_point: input.entry_point ?? null,
      ...(codeSerializer ? { code_serializer: codeSerializer } : {}),
      ...(input.container_image ? { container_image: input.container_image } : {}),
      description: input.description ?? '',
      public: input.public ?? false,
      searchable: input.searchable ?? false,
      metadata: JSON.stringify(input.metadata ?? {}),
      created_at: now(trx),
      updated_at: now(trx),
    });
    await replaceGroups(trx, id, input.group_ids ?? []);
  });
  return id;
}

async function replaceGroups(trx: Knex, functionId: string, groupIds: readonly string[]): Promise<void> {
  await trx('function_groups').where({ function_id: functionId }).delete();
  if (groupIds.length > 0) {
    await trx('function_groups').insert(groupIds.map((group_id) => ({ function_id: functionId, group_id })));
  }
}

/**
 * Reads functions by id, with their groups. Deleted ones are left out, except
 * for leasing: tasks queued before a delete still run.
 */
export async function loadFunctions(db: Knex, ids: readonly string[], options: { includeDeleted?: boolean; withGroups?: boolean } = {}): Promise<Map<string, FunctionRow>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, FunctionRow>();
  if (unique.length === 0) return found;
  // The sharing groups come folded into each row (one statement, src/db/jsonArray.ts); leasing
  // needs none, so its hot path does not read them.
  const query = db('functions').select('functions.*').whereIn('functions.id', unique);
  if (options.withGroups !== false) {
    query.select(db.raw(`${jsonArraySql(db, 'group_id', 'function_groups', 'function_id = functions.id')} AS group_ids_json`));
  }
  if (!options.includeDeleted) query.whereNull('functions.deleted_at');
  for (const { group_ids_json, ...row } of await query) found.set(row.id, { ...row, group_ids: parseJsonArray(group_ids_json) });
  return found;
}

export function canRunFunction(principal: UserPrincipal, fn: FunctionRow): boolean {
  return fn.owner === principal.id || Boolean(fn.public) || sharesGroup(principal, fn.group_ids);
}

/** The function if the caller may see it; FunctionNotFound otherwise (no hint that it exists). */
export async function getVisibleFunction(db: Knex, principal: UserPrincipal, id: string): Promise<FunctionRow> {
  const fn = (await loadFunctions(db, [id])).get(id);
  if (!fn || !canRunFunction(principal, fn)) throw new FunctionNotFound(`function ${id} not found`);
  return fn;
}

async function getOwnedFunction(db: Knex, principal: UserPrincipal, id: string): Promise<FunctionRow> {
  const fn = await getVisibleFunction(db, principal, id);
  if (fn.owner !== principal.id) throw new FunctionAccessForbidden(`only the owner of function ${id} may change it`);
  return fn;
}

export async function updateFunction(db: Knex, principal: UserPrincipal, id: string, input: FunctionUpdateRequest): Promise<void> {
  await getOwnedFunction(db, principal, id);
  await inTransaction(db, async (trx) => {
    const { group_ids, metadata, ...columns } = input;
    await trx('functions').where({ id }).update({
      ...columns,
      ...(metadata !== undefined ? { metadata: JSON.stringify(metadata) } : {}),
      updated_at: now(trx),
    });
    if (group_ids !== undefined) await replaceGroups(trx, id, group_ids);
  });
}

export async function deleteFunction(db: Knex, principal: UserPrincipal, id: string): Promise<void> {
  await getOwnedFunction(db, principal, id);
  await db('functions').where({ id }).update({ deleted_at: now(db) });
}

export function toFunctionRecord(fn: FunctionRow): FunctionRecord {
  return {
    function_uuid: fn.id,
    name: fn.name,
    runtime: fn.runtime,
    source: fn.source,
    entry_point: fn.entry_point,
    ...(fn.code_serializer ? { code_serializer: fn.code_serializer } : {}),
    ...(fn.container_image ? { container_image: fn.container_image } : {}),
    description: fn.description,
    owner: fn.owner,
    public: Boolean(fn.public),
    searchable: Boolean(fn.searchable),
    group_ids: fn.group_ids,
    metadata: parseStored<Record<string, unknown>>(fn.metadata, {}),
    created_at: isoOrNull(fn.created_at)!,
    updated_at: isoOrNull(fn.updated_at)!,
  };
}

/**
 * Search: the caller's own functions, plus others' that are searchable and that
 * the caller may run (public, or shared with one of the caller's groups).
 */
export async function searchFunctions(
  db: Knex,
  principal: UserPrincipal,
  query: { q: string; offset: number; limit: number },
): Promise<FunctionSearchResponse> {
  const visible = (builder: Knex.QueryBuilder): Knex.QueryBuilder => {
    builder.whereNull('deleted_at').andWhere((who) => {
      who.where('owner', principal.id).orWhere((shared) => {
        shared.where('searchable', true).andWhere((access) => {
          access.where('public', true);
          if (principal.groups.length > 0) {
            access.orWhereIn('id', db('function_groups').select('function_id').whereIn('group_id', [...principal.groups]));
          }
        });
      });
    });
    const q = query.q.trim().toLowerCase();
    if (q) {
      const pattern = `%${q.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      builder.andWhere((match) => {
        for (const column of ['name', 'description', 'owner', 'source']) {
          // LOWER on both sides: MySQL's binary collation would otherwise be case-sensitive.
          match.orWhereRaw(`LOWER(??) LIKE ? ESCAPE '!'`, [column, pattern]);
        }
      });
    }
    return builder;
  };
  const [{ total }] = await visible(db('functions').count({ total: '*' }));
  const rows = await visible(db('functions').select('id', 'name', 'runtime', 'description', 'owner', 'public', 'created_at'))
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
    .offset(query.offset)
    .limit(query.limit);
  return {
    total: Number(total),
    offset: query.offset,
    limit: query.limit,
    functions: rows.map((row: FunctionRow) => ({
      function_uuid: row.id,
      name: row.name,
      runtime: row.runtime,
      description: row.description,
      owner: row.owner,
      public: Boolean(row.public),
      created_at: isoOrNull(row.created_at)!,
    })),
  };
}
