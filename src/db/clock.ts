/**
 * The database's clock, in epoch milliseconds, as SQL. Lease expiries and every
 * ledger timestamp come from here, so service replicas with skewed clocks agree.
 */
import type { Knex } from 'knex';
import { dialectOf } from './connect.js';

export function nowSql(db: Knex): string {
  return dialectOf(db) === 'mysql'
    ? 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)'
    : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

/** `now + ms` as a raw expression, for expiries. */
export function nowPlus(db: Knex, ms: number): Knex.Raw {
  return db.raw(`(${nowSql(db)} + ?)`, [Math.round(ms)]);
}

export function now(db: Knex): Knex.Raw {
  return db.raw(nowSql(db));
}

export async function readNow(db: Knex): Promise<number> {
  const rows: unknown = await db.raw(`SELECT ${nowSql(db)} AS now`);
  const first = dialectOf(db) === 'mysql' ? (rows as [{ now: number }[]])[0][0] : (rows as { now: number }[])[0];
  return Number(first.now);
}
