/**
 * Request budgets in the ledger database, so every replica spends the same ones (table
 * rate_limits). The rule is a token bucket kept as one number (GCRA): `tat`, the moment the
 * key's budget is whole again. A request costs `interval` = window / capacity; it passes when,
 * once paid, the budget is whole again within `window` of now. So `capacity` requests pass in
 * a burst, then one per interval: the in-memory bucket this replaced, shared.
 *
 * Spending is one conditional UPDATE (the condition is in its WHERE, so "a row matched" is
 * "the request passed"): atomic on MariaDB and SQLite without a transaction, so two replicas
 * spending the same key at once never lose an update. A key's first request INSERTs its row;
 * a concurrent first request then finds the row and spends by UPDATE. Times come from the
 * database clock (src/db/clock.ts), so replicas with skewed clocks agree.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { nowSql } from '../db/clock.js';
import { COLLISION_BACKOFF, isDuplicateKeyError, isRetryableDbError } from '../db/transaction.js';
import { backoffDelay } from '../util/backoff.js';
import { sleep } from '../util/time.js';

export type BucketName = 'identity' | 'refused';

export interface BudgetSpec {
  bucket: BucketName;
  /** Requests in a full budget. */
  capacity: number;
  windowMs: number;
}

export type Spent = { ok: true } | { ok: false; retryAfterMs: number };

/** Longer keys (OIDC subjects may be long) are stored as their hash; the column holds 200. */
const MAX_KEY = 120;

export function storedKey(key: string): string {
  return key.length <= MAX_KEY ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function intervalOf(spec: BudgetSpec): number {
  return spec.windowMs / spec.capacity;
}

/** Spends `count` requests of `key`'s budget at once, if it has that many left (all or none). */
export async function spendBudget(db: Knex, spec: BudgetSpec, key: string, count = 1): Promise<Spent> {
  const where = { bucket: spec.bucket, bucket_key: storedKey(key) };
  const interval = intervalOf(spec);
  const cost = count * interval;
  const spend = async () => rowsChanged(await retried(() => db.raw(spendSql(db), [cost, where.bucket, where.bucket_key, cost, spec.windowMs + interval / 2])));
  if (await spend()) return { ok: true };
  try {
    if (count > spec.capacity) return { ok: false, retryAfterMs: spec.windowMs };
    await retried(() => db('rate_limits').insert({ ...where, tat: db.raw(`${nowSql(db)} + ?`, [cost]) }));
    return { ok: true };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  // The row exists: either it was out of budget, or another replica inserted it just now.
  if (await spend()) return { ok: true };
  const row: { ahead: number } | undefined = await db('rate_limits').where(where).first(db.raw(`tat - ${nowSql(db)} AS ahead`));
  return { ok: false, retryAfterMs: retryAfterMs(spec, Number(row?.ahead ?? 0)) };
}

/**
 * The spending UPDATE, as one raw statement: it runs for (nearly) every authenticated request, and
 * knex's query builder cost more than twice what the statement itself costs on SQLite.
 * Bindings: cost, bucket, key, cost, window + half an interval (that slack absorbs
 * the floating point error of `capacity` intervals summed).
 */
const spendSqlCache = new Map<string, string>();
function spendSql(db: Knex): string {
  const now = nowSql(db);
  let sql = spendSqlCache.get(now);
  if (!sql) {
    // The later of tat and now: a budget refills up to whole and no further. (CASE: SQLite has no GREATEST.)
    const from = `(CASE WHEN tat > ${now} THEN tat ELSE ${now} END)`;
    sql = `UPDATE rate_limits SET tat = ${from} + ? WHERE bucket = ? AND bucket_key = ? AND ${from} + ? - ${now} <= ?`;
    spendSqlCache.set(now, sql);
  }
  return sql;
}

/** Rows an UPDATE matched: better-sqlite3 answers { changes }, mysql2 [{ affectedRows }] (matched rows: FOUND_ROWS is on). */
function rowsChanged(result: unknown): number {
  if (Array.isArray(result)) return Number((result[0] as { affectedRows?: number }).affectedRows ?? 0);
  return Number((result as { changes?: number }).changes ?? 0);
}

/** How long until a budget whose tat is `aheadMs` past now lets one request through. */
function retryAfterMs(spec: BudgetSpec, aheadMs: number): number {
  return Math.max(0, Math.max(aheadMs, 0) + intervalOf(spec) - spec.windowMs);
}

/**
 * The keys of `spec`'s bucket with no request left now, and how long until each has one: what a
 * replica reads to refuse addresses that spent their budget on other replicas.
 */
export async function exhaustedKeys(db: Knex, spec: BudgetSpec): Promise<Map<string, number>> {
  const now = nowSql(db);
  const rows: { bucket_key: string; ahead: number }[] = await db('rate_limits')
    .where('bucket', spec.bucket)
    .andWhereRaw(`tat > ${now} + ?`, [spec.windowMs - intervalOf(spec) / 2])
    .select('bucket_key', db.raw(`tat - ${now} AS ahead`));
  return new Map(rows.map((row) => [row.bucket_key, retryAfterMs(spec, Number(row.ahead))]));
}

/** Deletes the rows of whole budgets (tat passed): a missing row means a whole budget. */
export async function pruneBudgets(db: Knex): Promise<number> {
  return db('rate_limits').whereIn('bucket', ['identity', 'refused']).andWhereRaw(`tat < ${nowSql(db)}`).delete();
}

async function retried<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (!isRetryableDbError(error) || attempt >= 5) throw error;
      await sleep(backoffDelay(attempt, COLLISION_BACKOFF));
    }
  }
}
