/**
 * A multi-user endpoint refuses one user's waiting tasks with one settings
 * (identity not mapped to a local account, settings outside the
 * administrator's schema, the per-user endpoint could not start): they fail
 * with that reason as their exception, which the user reads on the task.
 * Only waiting tasks: a task some per-user endpoint holds is left to it.
 */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { FAILED, WAITING, type TaskException } from './model.js';

export async function failUserTasks(
  db: Knex,
  input: { parentId: string; identity: string; userConfigKey: string; exception: TaskException },
): Promise<string[]> {
  const child = await db('endpoints')
    .where({ parent_id: input.parentId, serves_identity: input.identity, user_config_key: input.userConfigKey })
    .first('id');
  const endpoints = child ? [input.parentId, child.id] : [input.parentId];
  const scope = (query: Knex.QueryBuilder) =>
    query.whereIn('endpoint_id', endpoints).andWhere({ submitter: input.identity, user_config_key: input.userConfigKey, state: WAITING });
  const ids: string[] = await scope(db('tasks')).pluck('id');
  if (ids.length === 0) return [];
  // Re-checked in the update: a task leased since the read above is not failed.
  await scope(db('tasks').whereIn('id', ids)).update({ state: FAILED, exception: JSON.stringify(input.exception), completed_at: now(db), lease_expires_at: null });
  return ids;
}
