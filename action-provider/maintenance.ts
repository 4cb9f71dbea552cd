/**
 * The Action Provider's share of the service's maintenance loops:
 *  - deadlines (on the reap tick): an ACTIVE action past its deadline fails and
 *    its pending tasks are cancelled, whether or not anyone polls it;
 *  - release_after (on the purge tick): finished actions are deleted, with their
 *    tasks, release_after after they finished; and before the ledger purges
 *    tasks past retention, ACTIVE actions record the outcome their tasks show.
 */
import type { Knex } from 'knex';
import { nowSql, taskKey } from '../src/forParts.js';
import type { PartMaintenanceDeps, ServicePart, Wakeups } from '../src/forParts.js';
import { ACTIVE, type ActionRow } from './model.js';
import { refreshAction } from './store/refreshAction.js';
import { deleteAction } from './store/deleteAction.js';

const CHUNK = 200;

/** The duties above on the service's maintenance ticks (src/maintenance.ts runs them; a throw is logged there). */
export const actionProviderMaintenance: ServicePart['maintenance'] = {
  async afterReap({ db, wakeups, log }: PartMaintenanceDeps) {
    const expired = await enforceActionDeadlines(db, wakeups);
    if (expired > 0) log.info({ actions: expired }, 'failed actions past their deadline');
  },
  // Actions record their outcome before their tasks may be purged, then go release_after after it.
  async beforePurge({ db }: PartMaintenanceDeps) {
    await settleActiveActions(db);
  },
  async afterPurge({ db, log }: PartMaintenanceDeps) {
    const released = await purgeReleasedActions(db);
    if (released > 0) log.info({ actions: released }, 'purged actions past release_after');
  },
};

export async function enforceActionDeadlines(db: Knex, wakeups: Wakeups): Promise<number> {
  const rows = (await db('actions').where('status', ACTIVE).whereNotNull('deadline').andWhereRaw(`deadline <= ${nowSql(db)}`).limit(CHUNK)) as ActionRow[];
  for (const row of rows) {
    const { cancelledTaskIds } = await refreshAction(db, row);
    for (const id of cancelledTaskIds) wakeups.notify(taskKey(id));
  }
  return rows.length;
}

/** Records outcomes of ACTIVE actions whose tasks have all finished (nobody polled them). */
export async function settleActiveActions(db: Knex): Promise<number> {
  let settled = 0;
  let after = '';
  for (;;) {
    const rows = (await db('actions').where('status', ACTIVE).andWhere('id', '>', after).orderBy('id').limit(CHUNK)) as ActionRow[];
    for (const row of rows) if ((await refreshAction(db, row)).row.status !== ACTIVE) settled++;
    if (rows.length < CHUNK) return settled;
    after = rows[rows.length - 1].id;
  }
}

export async function purgeReleasedActions(db: Knex): Promise<number> {
  let purged = 0;
  for (;;) {
    const rows = (await db('actions')
      .whereNot('status', ACTIVE)
      .whereNotNull('completed_at')
      .andWhereRaw(`completed_at + release_after_ms < ${nowSql(db)}`)
      .limit(CHUNK)) as ActionRow[];
    for (const row of rows) if (await deleteAction(db, row)) purged++;
    if (rows.length < CHUNK) return purged;
  }
}
