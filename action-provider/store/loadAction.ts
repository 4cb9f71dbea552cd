/** One action by id; an id that is not a UUID, or unknown, is simply not found. */
import type { Knex } from 'knex';
import { isUuid } from '../../src/forParts.js';
import { ActionNotFound } from '../errors.js';
import type { ActionRow } from '../model.js';

export async function loadAction(db: Knex, actionId: string): Promise<ActionRow> {
  const row = isUuid(actionId) ? ((await db('actions').where({ id: actionId.toLowerCase() }).first()) as ActionRow | undefined) : undefined;
  if (!row) throw new ActionNotFound(`action ${actionId} not found`);
  return row;
}
