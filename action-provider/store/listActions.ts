/**
 * The enumeration: actions where the caller holds one of the asked roles
 * (creator, monitor_by, manage_by: through its identity or a group), with one
 * of the asked statuses. ACTIVE rows are refreshed first, so a status filter
 * sees outcomes that nobody has polled yet.
 */
import type { Knex } from 'knex';
import type { UserPrincipal } from '../../src/forParts.js';
import { principalsOf } from '../principals.js';
import { ACTIVE, type ActionRow, type ActionStatusValue } from '../model.js';
import { refreshAction, type Refreshed } from './refreshAction.js';

export type Role = 'creator_id' | 'monitor_by' | 'manage_by';

/** The most actions one enumeration answers with (newest first). */
export const ENUMERATION_LIMIT = 1000;

export async function listActions(db: Knex, user: UserPrincipal, roles: ReadonlySet<Role>, statuses: ReadonlySet<ActionStatusValue>): Promise<Refreshed[]> {
  const sharedRoles = [...roles].filter((role) => role !== 'creator_id');
  const wanted = [...statuses];
  // A stored ACTIVE may have become SUCCEEDED or FAILED: read those too, then filter after refreshing.
  const stored = wanted.includes(ACTIVE) ? wanted : [...wanted, ACTIVE];
  const rows = (await db('actions')
    .whereIn('status', stored)
    .andWhere((where) => {
      if (roles.has('creator_id')) where.orWhere('creator', user.id);
      if (sharedRoles.length > 0) {
        where.orWhereIn(
          'id',
          db('action_principals').select('action_id').whereIn('role', sharedRoles).whereIn('principal', principalsOf(user)),
        );
      }
    })
    .orderBy('created_at', 'desc')
    .limit(ENUMERATION_LIMIT)) as ActionRow[];
  const refreshed: Refreshed[] = [];
  for (const row of rows) {
    const current = row.status === ACTIVE ? await refreshAction(db, row) : { row, cancelledTaskIds: [] };
    if (statuses.has(current.row.status)) refreshed.push(current);
  }
  return refreshed;
}
