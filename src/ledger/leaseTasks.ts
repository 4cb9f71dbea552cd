/**
 * Hands up to `maxTasks` waiting tasks of one endpoint to that endpoint, FIFO.
 *
 * SQLite has a single writer: a plain read of the queue's head (keys and payload lengths, so the
 * byte budget is cut in code), then one UPDATE ... RETURNING, on its own, marks those rows by key. MySQL reads
 * the first waiting rows and marks exactly those in one guarded autocommit UPDATE;
 * only when another poller took some of them does it lease the rest in a short
 * transaction with `FOR UPDATE SKIP LOCKED` (concurrent pollers skip each other's
 * rows instead of waiting or deadlocking) (leaseMysql). Leased rows are marked running under a fresh random lease token whose expiry comes
 * from the database clock. Either way the pick walks tasks_lease_idx
 * (endpoint_id, state, seq) from its head: its cost does not grow with the backlog.
 * The rows record the agent session that leased them (leased_by; null when the
 * agent sent none), which is what a reconcile is scoped to (reconcileLeases.ts).
 * With `maxBytes`, the pick stops before the task whose payload would take the
 * answer's payload bytes past it, yet always takes the first task: a prefetch of
 * large payloads cannot fill the agent's heap (or this process's), and a single
 * task larger than the budget still runs.
 */
import type { UserRuntime } from '@funcx-ts/shared/wire/user-runtime.js';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { nowSql } from '../db/clock.js';
import { inlineLimit } from '../db/sqliteClient.js';
import { COLLISION_BACKOFF, inTransaction, isRetryableDbError, transactionRetries, unlessBusy } from '../db/transaction.js';
import { backoffDelay } from '../util/backoff.js';
import { sleep } from '../util/time.js';
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
  /**
   * MySQL: told the picked rows' function ids before the UPDATE that marks them, so the caller
   * can read what it needs for them during that round trip (the lease route: their functions).
   */
  alongsideMark?: (functionIds: string[]) => void;
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

/** A fresh lease's token (144 random bits): every result and heartbeat under the lease must present it. */
export function newLeaseToken(): string {
  return randomBytes(18).toString('base64url');
}

export async function leaseTasks(db: Knex, input: LeaseInput): Promise<LeasedTask[]> {
  if (dialectOf(db) === 'mysql') return leaseMysql(db, input);
  // Most polls of an idle federation find nothing: a plain read of the index says so for a
  // fifth of the write transaction's cost. A task submitted just after this read is not lost:
  // long-polls subscribe to wake-ups before they look (routes/endpointProtocol.ts). The read also
  // brings the head's payload lengths, so the byte budget is cut here and the UPDATE marks rows by
  // key: a pick of window functions inside the UPDATE cost a lone lease 100-200 us more.
  const head: { seq: number; payload_bytes: number }[] = await db.raw(
    `SELECT seq, octet_length(payload) AS payload_bytes FROM tasks WHERE endpoint_id = ? AND state = ? ORDER BY seq ${inlineLimit(input.maxTasks)}`,
    [input.endpointId, WAITING],
  );
  if (head.length === 0) return [];
  const kept = withinByteBudget(head, input.maxBytes);
  // One token per lease call: every result and heartbeat must present it.
  const leaseToken = newLeaseToken();
  // The guarded UPDATE alone, outside a transaction: one statement is atomic, and its guard (still
  // waiting) is what keeps two leases off one row. A knex transaction costs ~120 us before any SQL.
  const rows = await unlessBusy(() => markSqlite(db, input, leaseToken, kept.map((row) => row.seq)), []);
  // Another lease took some of these rows since the read (or the database was busy): pick the rest
  // in a transaction, which retries a busy database.
  const rest = rows.length < kept.length ? restOfLease(input, rows) : undefined;
  if (rest) rows.push(...await inTransaction(db, (trx) => pickAndMarkSqlite(trx, rest, leaseToken)));
  return rows.map((row) => leasedTask(row, leaseToken, Number(row.attempts)));
}

/**
 * MySQL/MariaDB, two statements and one commit when no other poller of this endpoint
 * competes (the usual case: one agent, one poll): read the first waiting rows (a plain read,
 * which is also the idle poll's whole cost), then mark exactly those by primary key in one
 * autocommit UPDATE guarded by what was read (still waiting, same attempt count), so a row
 * another poller took, or the reaper re-queued, in between is not taken. Every row taken:
 * done. Fewer (another poller got there first): the rows this lease did take are read back
 * by its token, and the rest of the capacity is leased by the locking transaction below
 * (SKIP LOCKED), so competing pollers still spread over the queue instead of coming back
 * empty. Before, every lease was BEGIN, SELECT ... FOR UPDATE SKIP LOCKED, UPDATE, COMMIT
 * after the read: five round trips, now two (docs/benchmarks.md, statements per task).
 */
async function leaseMysql(db: Knex, input: LeaseInput): Promise<LeasedTask[]> {
  if (input.maxBytes !== undefined) return leaseMysqlWithinBytes(db, input, input.maxBytes);
  // The lease index named: with few rows' statistics MariaDB may walk PRIMARY in seq order
  // instead, which passes over every finished task at the head of a big table.
  const [candidates] = (await db.raw(
    `SELECT ${PICKED_COLUMNS.join(', ')} FROM tasks FORCE INDEX (tasks_lease_idx)
     WHERE endpoint_id = ? AND state = ? ORDER BY seq LIMIT ?`,
    [input.endpointId, WAITING, input.maxTasks],
  )) as [PickedRow[]];
  if (candidates.length === 0) return [];
  input.alongsideMark?.(candidates.map((row) => row.function_id));
  const leaseToken = newLeaseToken();
  const taken = await markCandidatesMysql(db, input, leaseToken, candidates);
  const rows = taken === candidates.length
    ? candidates
    : await db('tasks').select(...PICKED_COLUMNS).whereIn('seq', candidates.map((row) => row.seq)).where({ lease_token: leaseToken }).orderBy('seq');
  const leased = rows.map((row) => leasedTask(row, leaseToken, Number(row.attempts) + (rows === candidates ? 1 : 0)));
  const rest = taken === candidates.length ? undefined : restOfLease(input, leased);
  if (!rest) return leased;
  // Contended: lease the remaining capacity under row locks, skipping the rows others hold.
  const more = await inTransaction(db, async (trx) => {
    const moreToken = newLeaseToken();
    const picked = await pickAndMarkMysql(trx, rest, moreToken);
    return picked.map((row) => leasedTask(row, moreToken, Number(row.attempts)));
  });
  return [...leased, ...more];
}

/**
 * leaseMysql under a byte budget (what the agent always sends), in the same two statements: the
 * read cuts the candidates at the budget itself (a running sum of the first max_tasks rows'
 * payload lengths, always keeping the first) and reads the payloads of the kept rows only, by
 * primary key; the guarded UPDATE marks them. Before, the lengths, the UPDATE and the kept rows'
 * payloads (by lease token) were three statements (docs/benchmarks.md, MariaDB statements per
 * task). Contended, the rows taken are read back by token, and the rest of the capacity and of the
 * budget goes to the locking transaction.
 */
async function leaseMysqlWithinBytes(db: Knex, input: LeaseInput, maxBytes: number): Promise<LeasedTask[]> {
  // The innermost read walks the lease index and keeps only (seq, length): the window sums
  // run over at most max_tasks small rows, and only the kept rows' payloads leave the server.
  const [kept] = (await db.raw(
    `SELECT ${PICKED_COLUMNS.map((column) => `t.${column}`).join(', ')} FROM (
       SELECT seq, SUM(payload_bytes) OVER (ORDER BY seq) AS through, ROW_NUMBER() OVER (ORDER BY seq) AS n FROM (
         SELECT seq, ${payloadBytesSql(db)} AS payload_bytes FROM tasks FORCE INDEX (tasks_lease_idx)
         WHERE endpoint_id = ? AND state = ? ORDER BY seq LIMIT ?) AS head
     ) AS picked JOIN tasks AS t ON t.seq = picked.seq
     WHERE picked.n = 1 OR picked.through <= ? ORDER BY t.seq`,
    [input.endpointId, WAITING, input.maxTasks, maxBytes],
  )) as [PickedRow[]];
  if (kept.length === 0) return [];
  input.alongsideMark?.(kept.map((row) => row.function_id));
  const leaseToken = newLeaseToken();
  const taken = await markCandidatesMysql(db, input, leaseToken, kept);
  if (taken === kept.length) return kept.map((row) => leasedTask(row, leaseToken, Number(row.attempts) + 1));
  const rows: PickedRow[] = taken === 0 ? [] : await db('tasks').select(...PICKED_COLUMNS).whereIn('seq', kept.map((row) => row.seq)).where({ lease_token: leaseToken }).orderBy('seq');
  const leased = rows.map((row) => leasedTask(row, leaseToken, Number(row.attempts)));
  const rest = restOfLease(input, leased);
  if (!rest) return leased;
  const more = await inTransaction(db, async (trx) => {
    const moreToken = newLeaseToken();
    const picked = await pickAndMarkMysql(trx, rest, moreToken);
    return picked.map((row) => leasedTask(row, moreToken, Number(row.attempts)));
  });
  return [...leased, ...more];
}

/**
 * What is left of a lease's capacity and byte budget once `taken` are leased, for a contended
 * lease to make up: undefined when nothing is. With none taken the whole budget is left (the
 * first task always goes).
 */
function restOfLease(input: LeaseInput, taken: readonly { payload: string }[]): LeaseInput | undefined {
  if (taken.length >= input.maxTasks) return undefined;
  const maxTasks = input.maxTasks - taken.length;
  if (input.maxBytes === undefined) return { ...input, maxTasks };
  const bytesLeft = input.maxBytes - taken.reduce((sum, task) => sum + Buffer.byteLength(task.payload), 0);
  if (taken.length > 0 && bytesLeft <= 0) return undefined;
  return { ...input, maxTasks, maxBytes: Math.max(1, bytesLeft) };
}

/** The autocommit UPDATE of leaseMysql; returns how many of `candidates` it marked. */
async function markCandidatesMysql(db: Knex, input: LeaseInput, leaseToken: string, candidates: readonly PickedRow[]): Promise<number> {
  // Rows grouped by the attempt count read: a re-queued row leased again in between has another.
  const byAttempts = new Map<number, number[]>();
  for (const row of candidates) {
    const seqs = byAttempts.get(Number(row.attempts)) ?? [];
    byAttempts.set(Number(row.attempts), seqs.concat(row.seq));
  }
  const groups = [...byAttempts];
  const guard = groups.length === 1 ? 'attempts = ?' : groups.map(([, seqs]) => `(attempts = ? AND seq IN (${seqs.map(() => '?').join(', ')}))`).join(' OR ');
  const guardBindings = groups.length === 1 ? [groups[0][0]] : groups.flatMap(([attempts, seqs]) => [attempts, ...seqs]);
  const seqs = candidates.map((row) => row.seq);
  for (let attempt = 1; ; attempt++) {
    try {
      // One statement, so one implicit transaction: a deadlock or lock-wait timeout rolls all of it back.
      const [header] = (await db.raw(
        // By primary key, whatever the statistics say: on an empty table's statistics MariaDB
        // picks tasks_reap_idx (state, …), which would walk every waiting task of a big backlog.
        `UPDATE tasks FORCE INDEX (PRIMARY) SET ${SET_RUNNING(db)}
         WHERE seq IN (${seqs.map(() => '?').join(', ')}) AND state = ? AND (${guard})`,
        [RUNNING, leaseToken, input.session ?? null, Math.round(input.leaseMs), ...seqs, WAITING, ...guardBindings],
      )) as [{ affectedRows: number }];
      return header.affectedRows;
    } catch (error) {
      if (!isRetryableDbError(error) || attempt >= 8) throw error;
      const reason = String((error as { code?: string }).code ?? 'unknown');
      transactionRetries.set(reason, (transactionRetries.get(reason) ?? 0) + 1); // counted as inTransaction's are
      await sleep(backoffDelay(attempt, COLLISION_BACKOFF));
    }
  }
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

const PICKED_COLUMNS = ['seq', 'id', 'function_id', 'task_group_id', 'payload', 'serializer', 'attempts', 'created_at', 'resource_specification', 'user_runtime'];

const SET_RUNNING = (db: Knex) => `state = ?, lease_token = ?, leased_by = ?, lease_expires_at = ${nowSql(db)} + ?, leased_at = ${nowSql(db)},
  attempts = attempts + 1, waiting_for_nodes_since = NULL`; // a new lease: nothing reported under it yet

/** SQLite: marks these rows, those still waiting, as leased under `leaseToken`; in seq order. */
async function markSqlite(db: Knex, input: LeaseInput, leaseToken: string, seqs: readonly number[]): Promise<PickedRow[]> {
  const rows: PickedRow[] = await db.raw(
    `UPDATE tasks SET ${SET_RUNNING(db)}
     WHERE seq IN (${seqs.map(() => '?').join(', ')}) AND state = ?
     RETURNING ${PICKED_COLUMNS.join(', ')}`,
    [RUNNING, leaseToken, input.session ?? null, Math.round(input.leaseMs), ...seqs, WAITING],
  );
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq));
}

/**
 * SQLite (one writer): pick and mark in one statement; RETURNING's order is not defined, so sort by seq.
 * The byte budget is a running sum over the first max_tasks rows (their lengths only, not their payloads).
 */
async function pickAndMarkSqlite(trx: Knex.Transaction, input: LeaseInput, leaseToken: string): Promise<PickedRow[]> {
  const picked = input.maxBytes === undefined
    ? `SELECT seq FROM tasks WHERE endpoint_id = ? AND state = ? ORDER BY seq ${inlineLimit(input.maxTasks)}`
    : `SELECT seq FROM (
         SELECT seq, SUM(payload_bytes) OVER (ORDER BY seq) AS through, ROW_NUMBER() OVER (ORDER BY seq) AS n
         FROM (SELECT seq, octet_length(payload) AS payload_bytes FROM tasks WHERE endpoint_id = ? AND state = ? ORDER BY seq ${inlineLimit(input.maxTasks)}))
       WHERE n = 1 OR through <= ?`;
  const rows: PickedRow[] = await trx.raw(
    `UPDATE tasks SET ${SET_RUNNING(trx)}
     WHERE seq IN (${picked})
     RETURNING seq, id, function_id, task_group_id, payload, serializer, attempts, created_at, resource_specification, user_runtime`,
    [RUNNING, leaseToken, input.session ?? null, Math.round(input.leaseMs), input.endpointId, WAITING, ...(input.maxBytes === undefined ? [] : [input.maxBytes])],
  );
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq));
}

/** A picked row but its payload: what a pick under a byte budget reads before it knows which payloads it keeps. */
const COLUMNS_BUT_PAYLOAD = PICKED_COLUMNS.filter((column) => column !== 'payload');

/**
 * MySQL: lock the picked rows (skipping others' locks), then mark them by primary key. Under a byte
 * budget the pick reads the payloads' lengths, and only the kept rows' payloads are read after.
 */
async function pickAndMarkMysql(trx: Knex.Transaction, input: LeaseInput, leaseToken: string): Promise<PickedRow[]> {
  const locked = await trx('tasks')
    .select(...COLUMNS_BUT_PAYLOAD, input.maxBytes === undefined ? 'payload' : trx.raw(`${payloadBytesSql(trx)} AS payload_bytes`))
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
