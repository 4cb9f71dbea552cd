/**
 * Forgets a finished action: its row, its principals, and its tasks with their
 * results (the task group and the submit record too). Used by release and by
 * the release_after purge; an action still ACTIVE is never deleted.
 */
import type { Knex } from 'knex';
import { inTransaction } from '../../src/forParts.js';
import { ACTIVE, type ActionRow } from '../model.js';

/** Returns false when the row was gone already or is still ACTIVE. */
export async function deleteAction(db: Knex, row: ActionRow): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    await trx('action_principals').where({ action_id: row.id }).delete();
    const deleted = await trx('actions').where({ id: row.id }).whereNot('status', ACTIVE).delete();
    if (deleted === 0) return false;
    await trx('tasks').where({ task_group_id: row.task_group_id }).delete();
    await trx('task_groups').where({ id: row.task_group_id }).delete();
    await trx('submissions').where({ submitter: row.creator, dedupe_key: `action:${row.request_key}` }).delete();
    return true;
  });
}
