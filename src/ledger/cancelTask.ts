/**
 * Cancels a task that has not finished. A waiting task never runs; a running
 * one is marked cancelled at once, and its endpoint hears of it through its
 * cancel watch (routes/endpointCancels.ts; its next heartbeat says it too) and
 * stops it (its late result is refused).
 */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { TaskAlreadyFinished, TaskNotFound } from '../errors.js';
import { CANCELLED, RUNNING, STATUS_COLUMNS, WAITING, isFinished, toTaskRecord, type TaskException } from './model.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';

export async function cancelTask(db: Knex, input: { submitter: string; taskId: string }): Promise<TaskRecord> {
  return inTransaction(db, async (trx) => {
    const row = await trx('tasks').select(...STATUS_COLUMNS).where({ id: input.taskId }).first();
    if (!row || row.submitter !== input.submitter) throw new TaskNotFound(`task ${input.taskId} not found`);
    if (isFinished(row.state)) throw new TaskAlreadyFinished(`task ${input.taskId} already finished (${row.state})`);
    const exception: TaskException = { type: 'TaskCancelled', message: 'the task was cancelled by its submitter' };
    const changed = await trx('tasks')
      .where({ id: input.taskId })
      .whereIn('state', [WAITING, RUNNING])
      .update({ state: CANCELLED, exception: JSON.stringify(exception), completed_at: now(trx), lease_expires_at: null, waiting_for_nodes_since: null });
    if (changed === 0) throw new TaskAlreadyFinished(`task ${input.taskId} finished meanwhile`);
    return toTaskRecord(await trx('tasks').select(...STATUS_COLUMNS).where({ id: input.taskId }).first());
  });
}
