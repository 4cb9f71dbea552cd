/**
 * A heartbeat lists the leases the endpoint still holds; each one still valid
 * is extended. The answer tells the endpoint what to stop: tasks the user
 * cancelled, and leases it no longer holds (expired and handed on).
 * Only listed leases are extended, so a restarted endpoint cannot keep alive
 * the leases its previous process died with.
 *
 * A lease may say its task waits for nodes (not on a worker yet): the task is
 * then reported `waiting-for-nodes`, from the first heartbeat that said so;
 * a valid lease that no longer says so clears it (the task started). Stale
 * tokens change nothing, like the extension itself.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { nowPlus, nowSql } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { CANCELLED, RUNNING } from './model.js';
import { offIndex } from './offIndex.js';

export interface HeldLease {
  task_id: string;
  lease_token: string;
  /** The endpoint holds the task but waits for nodes to run it on. */
  waiting_for_nodes?: boolean;
  /** The endpoint holds the task, not on a worker yet: its workers are busy. */
  waiting_for_launch?: boolean;
}

export interface Extended {
  extended: number;
  cancel: string[];
  lost: string[];
}

export async function extendLeases(
  db: Knex,
  input: { endpointId: string; leases: readonly HeldLease[]; leaseMs: number },
): Promise<Extended> {
  const answer: Extended = { extended: 0, cancel: [], lost: [] };
  if (input.leases.length === 0) return answer;
  return inTransaction(db, async (trx) => {
    const ids = [...new Set(input.leases.map((l) => l.task_id))].sort();
    const rows = new Map<string, { endpoint_id: string; state: string; lease_token: string | null }>();
    for (let start = 0; start < ids.length; start += 500) {
      const select = trx('tasks').select('id', 'endpoint_id', 'state', 'lease_token').whereIn('id', ids.slice(start, start + 500));
      if (dialectOf(db) === 'mysql') select.forUpdate();
      for (const row of await select) rows.set(row.id, row);
    }
    const waitingForNodes: string[] = [];
    const waitingForLaunch: string[] = [];
    const started: string[] = [];
    for (const lease of input.leases) {
      const row = rows.get(lease.task_id);
      if (!row || row.endpoint_id !== input.endpointId || row.lease_token !== lease.lease_token) answer.lost.push(lease.task_id);
      else if (row.state === CANCELLED) answer.cancel.push(lease.task_id);
      else if (row.state === RUNNING) (lease.waiting_for_nodes ? waitingForNodes : lease.waiting_for_launch ? waitingForLaunch : started).push(lease.task_id);
      // finished under this token: its result is stored; nothing to extend or stop.
    }
    const extend = async (ids: string[], waiting: { nodes: Knex.Raw | null; launch: Knex.Raw | null }) => {
      for (let start = 0; start < ids.length; start += 500) {
        answer.extended += await trx('tasks')
          .whereIn('id', ids.slice(start, start + 500))
          .andWhereRaw(...offIndex('state', [RUNNING])) // by id, not through every running task
          .update({ lease_expires_at: nowPlus(trx, input.leaseMs), waiting_for_nodes_since: waiting.nodes, waiting_for_launch_since: waiting.launch });
      }
    };
    // Keep the time it first waited; the rows are locked (MySQL) or we are the only writer (SQLite).
    const since = (column: string) => trx.raw(`COALESCE(${column}, ${nowSql(trx)})`);
    await extend(waitingForNodes, { nodes: since('waiting_for_nodes_since'), launch: null });
    await extend(waitingForLaunch, { nodes: null, launch: since('waiting_for_launch_since') });
    await extend(started, { nodes: null, launch: null });
    return answer;
  });
}
