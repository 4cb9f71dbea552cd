/**
 * Hands up to `maxTasks` waiting tasks of one endpoint to that endpoint, FIFO.
 *
 * One short transaction: pick the rows (on MySQL `FOR UPDATE SKIP LOCKED`, so
 * concurrent pollers skip each other's rows instead of waiting or deadlocking;
 * SQLite has a single writer, so there one UPDATE ... RETURNING picks and marks),
 * then mark them running under a fresh random lease token whose expiry comes
 * from the database clock. Either way the pick walks tasks_lease_idx
 * (endpoint_id, state, seq) from its head: its cost does not grow with the backlog.
 * The rows record the agent session that leased them (leased_by; null when the
 * agent sent none), which is what a reconcile is scoped to (reconcileLeases.ts).
 * With `maxBytes`, the pick stops before the task whose payload would take the
 * answer's payload bytes past it, yet always takes the first task: a prefetch of
 * large payloads cannot fill the agent's heap (or this process's), and a single
 * task larger than the budget still runs.
 */
import type { UserRuntime } from '../generated/schemas/user-runtime.js';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { nowSql } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';
import { RUNNING, WAITING, type Serializer } from './model.js';
import { parseStored } from '../util/json.js';
import type { ResourceSpecification } from '../resources/resourceSpecification.js';

export interface LeasedTask {
  taskId: string;
  attempt: number;
  leaseToken: string;
  functionId: string;
  taskGroupId: string;
  payload: string;
  serializer: Serializer;
  /** When it was submitted (database clock), for the queue-time metric. */
  createdAt?: number;
  /** Nodes and MPI ranks, as submitted (none for an ordinary task). */
  resourceSpecification?: ResourceSpecification;
  /** The submitter's user_runtime, as sent (none when it sent none). */
  userRuntime?: UserRuntime;
}

export interface LeaseInput {
  endpointId: string;
  maxTasks: number;
  leaseMs: number;
  /** The leasing agent's session id (older agents send none). */
  session?: string;
  /** Payload bytes the answer may carry (at least one task is always leased); none: no cap. */
  maxBytes?: number;
}

/** How long a payload is in bytes (UTF-8), per dialect: LENGTH counts bytes on MySQL, characters on SQLite. */
export function payloadBytesSql(db: Knex): string {
  return dialectOf(db) === 'sqlite' ? 'octet_length(payload)' : 'LENGTH(payload)';
}

/** The leading rows whose payloads fit in `maxBytes` together, and always the first. */
export function withinByteBudget<T extends { payload_bytes: number | string }>(rows: T[], maxBytes: number | undefined): T[] {
  if (maxBytes === undefined) return rows;
  let total = 0;
  let count = 0;
  for (const row of rows) {
    total += Number(row.payload_bytes);
    if (count > 0 && total > maxBytes) break;
    count += 1;
  }
  return rows.slice(0, count);
}

export async function leaseTasks(db: Knex, input: LeaseInput): Promise<LeasedTask[]> {
  // Most polls of an idle federation find nothing: a plain read of the index says so for a
  // fifth of the write transaction's cost. A task submitted just after this read is not lost:
  // long-polls subscribe to wake-ups before they look (routes/endpointProtocol.ts).
  const waiting = await db('tasks').where({ endpoint_id: input.endpointId, state: WAITING }).first(db.raw('1 AS waiting'));
  if (!waiting) return [];
  return inTransaction(db, async (trx) => {
    // One token per lease call: every result and heartbeat must present it.
    const leaseToken = randomBytes(18).toString('base64url');
    const rows = dialectOf(db) === 'sqlite' ? await pickAndMarkSqlite(trx, input, leaseToken) : await pickAndMarkMysql(trx, input, leaseToken);
    return rows.map((row) => leasedTask(row, leaseToken, Number(row.attempts)));
  });
}

/** A leased row as the endpoint receives it (every lease path answers in this one shape). */
export function leasedTask(row: Omit<PickedRow, 'seq' | 'attempts'>, leaseToken: string, attempt: number): LeasedTask {
  return {
    taskId: row.id,
    attempt,
    leaseToken,
    functionId: row.function_id,
    taskGroupId: row.task_group_id,
    payload: row.payload,
    serializer: row.serializer,
    createdAt: Number(row.created_at),
    resourceSpecification: parseStored<ResourceSpecification | undefined>(row.resource_specification, undefined),
    userRuntime: parseStored<UserRuntime | undefined>(row.user_runtime, undefined),
  };
}

export interface PickedRow {
  seq: number;
  id: string;
  function_id: string;
  task_group_id: string;
  payload: string;
  serializer: Serializer;
  /** Counting this lease. */
  attempts: number;
  created_at: number;
  resource_specification: string | null;
  user_runtime: string | null;
}

const SET_RUNNING = (db: Knex) => `state = ?, lease_token = ?, leased_by = ?, lease_expires_at = ${nowSql(db)} + ?, leased_at = ${nowSql(db)},
  attempts = attempts + 1, waiting_for_nodes_since = NULL`; // a new lease: nothing reported under it yet

/**
 * SQLite (one writer): pick and mark in one statement; RETURNING's order is not defined, so sort by seq.
 * The byte budget is a running sum over the first max_tasks rows (their lengths only, not their payloads).
 */
async function pickAndMarkSqlite(trx: Knex.Transaction, input: LeaseInput, leaseToken: string): Promise<PickedRow[]> {
  const picked = input.maxBytes === undefined
    ? 'SELECT seq FROM tasks WHERE endpoint_id = ? AND state = ? ORDER BY seq LIMIT ?'
    : `SELECT seq FROM (
         SELECT seq, SUM(payload_bytes) OVER (ORDER BY seq) AS through, ROW_NUMBER() OVER (ORDER BY seq) AS n
         FROM (SELECT seq, octet_length(payload) AS payload_bytes FROM tasks WHERE endpoint_id = ? AND state = ? ORDER BY seq LIMIT ?))
       WHERE n = 1 OR through <= ?`;
  const rows: PickedRow[] = await trx.raw(
    `UPDATE tasks SET ${SET_RUNNING(trx)}
     WHERE seq IN (${picked})
     RETURNING seq, id, function_id, task_group_id, payload, serializer, attempts, created_at, resource_specification, user_runtime`,
    [RUNNING, leaseToken, input.session ?? null, Math.round(input.leaseMs), input.endpointId, WAITING, input.maxTasks, ...(input.maxBytes === undefined ? [] : [input.maxBytes])],
  );
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq));
}

const PICKED_COLUMNS = ['seq', 'id', 'function_id', 'task_group_id', 'serializer', 'attempts', 'created_at', 'resource_specification', 'user_runtime'] as const;

/**
 * MySQL: lock the picked rows (skipping others' locks), then mark them by primary key. Under a byte
 * budget the pick reads the payloads' lengths, and only the kept rows' payloads are read after.
 */
async function pickAndMarkMysql(trx: Knex.Transaction, input: LeaseInput, leaseToken: string): Promise<PickedRow[]> {
  const locked = await trx('tasks')
    .select(...PICKED_COLUMNS, input.maxBytes === undefined ? 'payload' : trx.raw(`${payloadBytesSql(trx)} AS payload_bytes`))
    .where({ endpoint_id: input.endpointId, state: WAITING })
    .orderBy('seq')
    .limit(input.maxTasks)
    .forUpdate()
    .skipLocked();
  if (locked.length === 0) return [];
  let rows: PickedRow[] = locked;
  if (input.maxBytes !== undefined) {
    const kept = withinByteBudget(locked as Array<PickedRow & { payload_bytes: number }>, input.maxBytes);
    const payloads = new Map<number, string>(
      (await trx('tasks').select('seq', 'payload').whereIn('seq', kept.map((row) => row.seq))).map((row: { seq: number; payload: string }) => [Number(row.seq), row.payload]),
    );
    rows = kept.map(({ payload_bytes: _bytes, ...row }) => ({ ...row, payload: payloads.get(Number(row.seq))! }));
  }
  await trx.raw(`UPDATE tasks SET ${SET_RUNNING(trx)} WHERE seq IN (${rows.map(() => '?').join(', ')})`, [
    RUNNING, leaseToken, input.session ?? null, Math.round(input.leaseMs), ...rows.map((row) => row.seq),
  ]);
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) + 1 }));
}
