/**
 * Brings an ACTIVE action up to date with its tasks: when they have all
 * finished, or its deadline has passed, the outcome is recorded on the row
 * (once: the UPDATE only applies to a row still ACTIVE, so replicas racing to
 * record it agree on the first). Called on every read and by maintenance.
 */
import type { Knex } from 'knex';
import { now, readNow, inTransaction, dialectOf, CANCELLED, RUNNING, WAITING } from '../../src/forParts.js';
import type { TaskException } from '../../src/forParts.js';
import { ActionConflict } from '../errors.js';
import { ACTIVE, outcomeOf, taskIdsOf, type ActionRow, type Ending, type Outcome } from '../model.js';
import { readActionTasks } from './readActionTasks.js';

export interface Refreshed {
  row: ActionRow;
  /** Progress details while the action is still ACTIVE. */
  active?: Outcome;
  /** Tasks this call cancelled (their waiters should be woken). */
  cancelledTaskIds: string[];
}

export async function refreshAction(db: Knex, row: ActionRow): Promise<Refreshed> {
  if (row.status !== ACTIVE) return { row, cancelledTaskIds: [] };
  // The tasks first: an action whose tasks all finished by the time we look has
  // its natural outcome, even when its deadline has since passed.
  const tasks = await readActionTasks(db, row);
  const outcome = outcomeOf(row, tasks);
  if (outcome.status !== ACTIVE) {
    await saveOutcome(db, row.id, outcome, outcome.completedAt || now(db));
    return { row: await reload(db, row.id), cancelledTaskIds: [] };
  }
  if (row.deadline != null && Number(row.deadline) <= (await readNow(db))) {
    try {
      return await endAction(db, row, {
        code: 'DeadlineExceeded',
        description: `the deadline ${new Date(Number(row.deadline)).toISOString()} passed before every task finished; the pending tasks were cancelled`,
      });
    } catch (error) {
      if (!(error instanceof ActionConflict)) throw error;
      return { row: await reload(db, row.id), cancelledTaskIds: [] };
    }
  }
  return { row, active: outcome, cancelledTaskIds: [] };
}

/** Records an outcome on a row still ACTIVE only: the first outcome recorded wins. */
async function saveOutcome(db: Knex, id: string, outcome: Outcome, completedAt: number | Knex.Raw): Promise<number> {
  return db('actions')
    .where({ id, status: ACTIVE })
    .update({ status: outcome.status, details: JSON.stringify(outcome.details), completed_at: completedAt });
}

/**
 * Ends an ACTIVE action early (cancel, deadline): its pending tasks are
 * cancelled and the action FAILED, in one transaction. When no task was still
 * pending the action records the outcome its tasks show instead. ActionConflict
 * when the action had already finished.
 */
export async function endAction(db: Knex, row: ActionRow, ending: Ending): Promise<Refreshed> {
  const exception: TaskException =
    ending.code === 'ActionCancelled'
      ? { type: 'TaskCancelled', message: 'the action was cancelled' }
      : { type: 'DeadlineExceeded', message: "the action's deadline passed before the task finished" };
  const ids = taskIdsOf(row);
  const cancelled = await inTransaction(db, async (trx) => {
    // MySQL: lock the row so a concurrent cancel or outcome waits for us; SQLite has one writer anyway.
    const query = trx('actions').where({ id: row.id });
    const current = (await (dialectOf(trx) === 'mysql' ? query.forUpdate() : query).first()) as ActionRow | undefined;
    if (!current || current.status !== ACTIVE) throw new ActionConflict(`action ${row.id} has already completed`);
    const pending: string[] = [];
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      pending.push(...(await trx('tasks').whereIn('id', chunk).whereIn('state', [WAITING, RUNNING]).pluck('id')));
      await trx('tasks')
        .whereIn('id', chunk)
        .whereIn('state', [WAITING, RUNNING])
        .update({ state: CANCELLED, exception: JSON.stringify(exception), completed_at: now(trx), lease_expires_at: null });
    }
    // Nothing was left to cancel: every task had finished, so the action has its
    // natural outcome (a SUCCEEDED action stays SUCCEEDED), not the ending's.
    const tasks = await readActionTasks(trx, current);
    const outcome = pending.length === 0 ? outcomeOf(current, tasks) : outcomeOf(current, tasks, ending);
    const completedAt = pending.length === 0 && outcome.completedAt ? outcome.completedAt : now(trx);
    if ((await saveOutcome(trx, row.id, outcome, completedAt)) === 0) throw new ActionConflict(`action ${row.id} has already completed`);
    return pending;
  });
  return { row: await reload(db, row.id), cancelledTaskIds: cancelled };
}

async function reload(db: Knex, id: string): Promise<ActionRow> {
  return (await db('actions').where({ id }).first()) as ActionRow;
}
