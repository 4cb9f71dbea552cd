/**
 * Cancels every unfinished task of a task group (funcx task cancel --group):
 * the same change as cancelTask.ts for each, in one transaction, so a group
 * cancelled is cancelled whole. Tasks that had already finished are reported
 * with their state and left as they are. Only the group's submitter may.
 */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { TaskGroupNotFound } from '../errors.js';
import { CANCELLED, RUNNING, WAITING, isFinished, type TaskException, type TaskState } from './model.js';
import { offIndex } from './offIndex.js';

export interface GroupCancelled {
  /** Cancelled now, with the endpoint each was on (running ones must be told to stop). */
  cancelled: { taskId: string; endpointId: string }[];
  notCancelled: { task_id: string; status: TaskState }[];
}

export async function cancelTaskGroup(db: Knex, input: { submitter: string; taskGroupId: string }): Promise<GroupCancelled> {
  return inTransaction(db, async (trx) => {
    const group = await trx('task_groups').select('submitter').where({ id: input.taskGroupId }).first();
    if (!group || group.submitter !== input.submitter) throw new TaskGroupNotFound(`task group ${input.taskGroupId} not found`);
    const rows: { id: string; state: TaskState; endpoint_id: string }[] = await trx('tasks')
      .select('id', 'state', 'endpoint_id')
      .where({ task_group_id: input.taskGroupId, submitter: input.submitter })
      .orderBy('seq');
    const open = rows.filter((row) => !isFinished(row.state));
    const exception: TaskException = { type: 'TaskCancelled', message: 'the task was cancelled by its submitter' };
    for (let start = 0; start < open.length; start += 500) {
      await trx('tasks')
        .whereIn('id', open.slice(start, start + 500).map((row) => row.id))
        .andWhereRaw(...offIndex('state', [WAITING, RUNNING])) // by id, not through every open task
        .update({ state: CANCELLED, exception: JSON.stringify(exception), completed_at: now(trx), lease_expires_at: null, waiting_for_nodes_since: null });
    }
    // Re-read what the updates left: a task that finished between the read and its update
    // (a result posted meanwhile) is reported as it finished, not as cancelled.
    const after = new Map<string, TaskState>();
    for (let start = 0; start < open.length; start += 500) {
      const states: { id: string; state: TaskState }[] = await trx('tasks').select('id', 'state').whereIn('id', open.slice(start, start + 500).map((row) => row.id));
      for (const row of states) after.set(row.id, row.state);
    }
    const nowCancelled = open.filter((row) => after.get(row.id) === CANCELLED);
    return {
      cancelled: nowCancelled.map((row) => ({ taskId: row.id, endpointId: row.endpoint_id })),
      notCancelled: rows
        .filter((row) => !nowCancelled.includes(row))
        .map((row) => ({ task_id: row.id, status: after.get(row.id) ?? row.state })),
    };
  });
}
