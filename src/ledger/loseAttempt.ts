/**
 * An attempt ended without a result (lease expired, worker died): record it in
 * the task's attempt history, then requeue the task, or fail it with the typed
 * error once the retry limit is spent. Called inside a transaction holding the row.
 */
import type { Knex } from 'knex';
import { now } from '../db/clock.js';
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import { FAILED, RUNNING, WAITING, type AttemptRecord, type TaskException } from './model.js';

export interface LostAttempt {
  id: string;
  attempts: number;
  lease_token: string | null;
  leased_at: number | null;
  attempt_history: string | null;
}

export type LossReason = 'EndpointLost' | 'WorkerLost';

/** Returns what became of the task. */
export async function loseAttempt(
  trx: Knex,
  row: LostAttempt,
  loss: { reason: LossReason; message: string; dbNow: number; maxRetries: number },
): Promise<'requeued' | 'failed'> {
  const history = parseStored<AttemptRecord[]>(row.attempt_history, []);
  history.push({
    attempt: Number(row.attempts),
    leased_at: isoOrNull(row.leased_at),
    ended_at: isoOrNull(loss.dbNow)!,
    reason: loss.reason,
    message: loss.message,
  });
  const retriesUsed = Number(row.attempts) - 1;
  const giveUp = retriesUsed >= loss.maxRetries;
  const exception: TaskException = {
    type: loss.reason,
    message: `${loss.message}; gave up after ${row.attempts} attempt(s) (retry limit ${loss.maxRetries})`,
  };
  const changed = await trx('tasks')
    .where({ id: row.id, state: RUNNING, lease_token: row.lease_token })
    .update(
      giveUp
        ? { state: FAILED, exception: JSON.stringify(exception), completed_at: now(trx), lease_token: null, lease_expires_at: null, attempt_history: JSON.stringify(history), waiting_for_nodes_since: null, waiting_for_launch_since: null }
        : { state: WAITING, lease_token: null, lease_expires_at: null, attempt_history: JSON.stringify(history), waiting_for_nodes_since: null, waiting_for_launch_since: null },
    );
  if (changed === 0) throw new Error(`task ${row.id} changed under a held lock`);
  return giveUp ? 'failed' : 'requeued';
}
