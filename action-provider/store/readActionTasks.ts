/** The ledger tasks of an action (no payloads), in no particular order. */
import type { Knex } from 'knex';
import { ACTION_TASK_COLUMNS, taskIdsOf, type ActionRow, type ActionTask } from '../model.js';

const CHUNK = 500;

export async function readActionTasks(db: Knex, row: ActionRow): Promise<ActionTask[]> {
  const ids = taskIdsOf(row);
  const tasks: ActionTask[] = [];
  for (let start = 0; start < ids.length; start += CHUNK) {
    tasks.push(...(await db('tasks').select(...ACTION_TASK_COLUMNS).whereIn('id', ids.slice(start, start + CHUNK))));
  }
  return tasks;
}
