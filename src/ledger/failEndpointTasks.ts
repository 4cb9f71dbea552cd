/** When an endpoint is deleted, its unfinished tasks fail with EndpointDeleted instead of waiting forever. */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { FAILED, RUNNING, WAITING, type TaskException } from './model.js';

export async function failEndpointTasks(trx: Knex, endpointId: string): Promise<number> {
  const exception: TaskException = { type: 'EndpointDeleted', message: `endpoint ${endpointId} was deleted before the task finished` };
  return trx('tasks')
    .where('endpoint_id', endpointId)
    .whereIn('state', [WAITING, RUNNING])
    .update({ state: FAILED, exception: JSON.stringify(exception), completed_at: now(trx), lease_expires_at: null });
}
