/**
 * Short transactions with retries on the errors that mean "try again":
 * MySQL deadlock (1213) and lock-wait timeout (1205), SQLite BUSY.
 */
import type { Knex } from 'knex';
import { backoffDelay, type Backoff } from '../util/backoff.js';
import { sleep } from '../util/time.js';

const MAX_ATTEMPTS = 8;

/**
 * Between retries of a statement that collided: 10 ms at most before the first retry (attempts count
 * from 1), doubling. Every database retry loop of the service uses it.
 */
export const COLLISION_BACKOFF: Backoff = { initialMs: 5, maxMs: 5 * 2 ** MAX_ATTEMPTS };

export function isRetryableDbError(error: unknown): boolean {
  const e = error as { errno?: number; code?: string } | null;
  return e?.errno === 1213 || e?.errno === 1205 || e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_BUSY_SNAPSHOT';
}

export function isDuplicateKeyError(error: unknown): boolean {
  const e = error as { errno?: number; code?: string } | null;
  return e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * One statement run on its own, before the transaction that does the rest: a statement that met a
 * busy database (SQLite: another process writing) or collided (MySQL: a deadlock, a lock wait)
 * changed nothing, so it gives `whenBusy`, and the caller's transaction, which retries those, does
 * the work instead. Any other error is thrown.
 */
export async function unlessBusy<T>(statement: () => Promise<T>, whenBusy: T): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if (!isRetryableDbError(error)) throw error;
    return whenBusy;
  }
}

/** Retries so far in this process, by error (read by the metrics). */
export const transactionRetries = new Map<string, number>();

export async function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return withCollisionRetries(() => db.transaction(work));
}

/** Runs a whole transaction again (up to MAX_ATTEMPTS) when it met a busy database or collided. */
export async function withCollisionRetries<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isRetryableDbError(error) || attempt >= MAX_ATTEMPTS) throw error;
      const reason = String((error as { code?: string }).code ?? 'unknown');
      transactionRetries.set(reason, (transactionRetries.get(reason) ?? 0) + 1);
      // Jittered backoff so colliding transactions do not collide again in lockstep.
      await sleep(backoffDelay(attempt, COLLISION_BACKOFF));
    }
  }
}
