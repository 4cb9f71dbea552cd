/**
 * Retention: finished tasks (and their results) are deleted `retention` after
 * they finished; tasks that waited that long for an endpoint that never came are
 * failed with TaskExpired first, so their submitter can still see why.
 * Works in chunks so no transaction holds locks for long.
 */
import type { Knex } from 'knex';
import { now, nowSql } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { FAILED, WAITING, type TaskException } from './model.js';

const CHUNK = 1000;

export interface Purged {
  expired: number;
  deletedTasks: number;
  deletedSubmissions: number;
  deletedGroups: number;
  deletedOutputs: number;
}

export async function purgeExpired(db: Knex, input: { retentionMs: number }): Promise<Purged> {
  const cutoff = db.raw(`(${nowSql(db)} - ?)`, [input.retentionMs]);
  const purged: Purged = { expired: 0, deletedTasks: 0, deletedSubmissions: 0, deletedGroups: 0, deletedOutputs: 0 };
  const exception: TaskException = { type: 'TaskExpired', message: 'no endpoint took the task within the retention time' };

  purged.expired = await db('tasks')
    .where('state', WAITING)
    .andWhere('created_at', '<', cutoff)
    .update({ state: FAILED, exception: JSON.stringify(exception), completed_at: now(db) });

  purged.deletedTasks = await deleteInChunks(db, 'tasks', 'seq', (q) => q.where('completed_at', '<', cutoff));
  // Live output goes with its task (also a task deleted with its endpoint).
  purged.deletedOutputs = await deleteInChunks(db, 'task_output', 'task_id', (q) =>
    q.whereNotExists(db('tasks').select(db.raw('1')).whereRaw('tasks.id = task_output.task_id')),
  );
  purged.deletedSubmissions = await deleteInChunks(db, 'submissions', 'id', (q) => q.where('created_at', '<', cutoff));
  purged.deletedGroups = await deleteInChunks(db, 'task_groups', 'id', (q) =>
    q.where('created_at', '<', cutoff).whereNotExists(db('tasks').select(db.raw('1')).whereRaw('tasks.task_group_id = task_groups.id')),
  );
  return purged;
}

async function deleteInChunks(db: Knex, table: string, key: string, where: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await inTransaction(db, async (trx) => {
      // Select then delete: MySQL allows no LIMIT inside IN (subquery), SQLite no DELETE ... LIMIT.
      const keys = await where(trx(table).select(key)).limit(CHUNK).pluck(key);
      return keys.length === 0 ? 0 : trx(table).whereIn(key, keys).delete();
    });
    total += deleted;
    if (deleted < CHUNK) return total;
  }
}
