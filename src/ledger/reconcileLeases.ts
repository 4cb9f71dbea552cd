/**
 * An endpoint agent says which leases it holds (when it starts, and when it
 * reconnects after a lease call whose answer may have been lost); the leases
 * of the agent sessions it names that it does not hold go back to the queue
 * at once. Each agent run makes a random session id and sends it with its
 * lease calls; the rows record it (tasks.leased_by). The agent names its
 * current session and, on start, the previous run's in the same endpoint
 * folder (only one agent runs per folder: its pidfile). So the leases returned
 * are the ones nobody will finish: those of a run killed with -9, or of a
 * lease answer the service committed but never delivered (the service killed,
 * the connection cut). Without this they would wait out the whole lease and
 * the reaper. Leases of any other session are never touched: the same
 * endpoint id may run on two hosts at once (a copy of endpoint.json), and the
 * other agent's running tasks are its own. Leases with no session (an older
 * agent's) are never returned here either; they expire as before. leased_by
 * means something only while the row is running (every lease sets it).
 *
 * The attempt is not counted (like a hand-back, releaseLeases.ts): the task may
 * have run half-way on a worker, which is fine, tasks are at-least-once; its
 * attempt history records a LeaseReturned entry, so what happened shows.
 * A task returned this way more than max_retries times (one that kills its
 * endpoint every time it runs) has the next return counted as EndpointLost
 * (loseAttempt.ts), so it fails in the end instead of looping forever.
 *
 * Each row is changed only if it is still running under the lease read
 * (compare-and-set on the lease token), so a result stored meanwhile stands.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { readNow } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import { loseAttempt } from './loseAttempt.js';
import { RUNNING, type AttemptRecord } from './model.js';
import type { HeldLease } from './extendLeases.js';
import { requeuedUncounted } from './releaseLeases.js';

export const LEASE_RETURNED = 'LeaseReturned';

export interface Reconciled {
  /** Back in the queue, the attempt not counted. */
  released: string[];
  /** Returned too often: counted as EndpointLost (requeued, or failed past the retry limit). */
  counted: string[];
}

export async function reconcileLeases(
  db: Knex,
  input: { endpointId: string; sessions: readonly string[]; held: readonly HeldLease[]; maxRetries: number },
): Promise<Reconciled> {
  const held = new Set(input.held.map((lease) => `${lease.task_id} ${lease.lease_token}`));
  if (input.sessions.length === 0) return { released: [], counted: [] };
  return inTransaction(db, async (trx) => {
    // tasks_lease_idx finds the endpoint's running rows; the session filter is the scope (never another agent's).
    const pick = trx('tasks')
      .select('id', 'attempts', 'lease_token', 'leased_at', 'attempt_history')
      .where({ endpoint_id: input.endpointId, state: RUNNING })
      .whereIn('leased_by', [...input.sessions]);
    if (dialectOf(db) === 'mysql') pick.forUpdate();
    const rows: UnheldRow[] = (await pick).filter((row: UnheldRow) => !held.has(`${row.id} ${row.lease_token}`));
    const reconciled: Reconciled = { released: [], counted: [] };
    if (rows.length === 0) return reconciled;
    const dbNow = await readNow(trx);
    for (const row of rows) {
      const history = parseStored<AttemptRecord[]>(row.attempt_history, []);
      if (history.filter((entry) => entry.reason === LEASE_RETURNED).length >= input.maxRetries) {
        await loseAttempt(trx, row, {
          reason: 'EndpointLost',
          message: `the endpoint no longer held its lease on the task, and it was returned ${input.maxRetries} time(s) before without counting`,
          dbNow,
          maxRetries: input.maxRetries,
        });
        reconciled.counted.push(row.id);
        continue;
      }
      history.push({
        attempt: Number(row.attempts),
        leased_at: isoOrNull(row.leased_at),
        ended_at: isoOrNull(dbNow)!,
        reason: LEASE_RETURNED,
        message: 'the endpoint agent that leased it no longer held this lease (it restarted, or the lease answer never reached it); returned to the queue at once, attempt not counted',
      });
      const changed = await trx('tasks')
        .where({ id: row.id, state: RUNNING, lease_token: row.lease_token })
        .update({ ...requeuedUncounted(trx), attempt_history: JSON.stringify(history) });
      if (changed > 0) reconciled.released.push(row.id);
    }
    return reconciled;
  });
}

interface UnheldRow {
  id: string;
  attempts: number;
  lease_token: string | null;
  leased_at: number | null;
  attempt_history: string | null;
}
