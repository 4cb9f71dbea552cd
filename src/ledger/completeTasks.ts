/**
 * Stores results posted by an endpoint, exactly once.
 *
 * Each result presents the lease token it ran under. Only a task still running
 * under that token takes the result; a replay of a result already stored under
 * the same token is acknowledged as a duplicate and changes nothing; any other
 * token is stale (the lease expired and the task moved on) and is refused.
 * A user's exception is a result like any other. `retry: true` reports a lost
 * attempt (e.g. WorkerLost): it is counted and the task requeued, as the reaper would.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { nowSql, readNow } from '../db/clock.js';
import { inTransaction, unlessBusy } from '../db/transaction.js';
import { loseAttempt } from './loseAttempt.js';
import { CANCELLED, FAILED, RUNNING, SUCCESS, isFinished, type Serializer, type TaskException, type TaskState } from './model.js';

export interface PostedResult {
  task_id: string;
  lease_token: string;
  status: 'success' | 'failed';
  result?: string;
  result_serializer?: Serializer;
  exception?: TaskException;
  retry?: boolean;
}

export interface Outcome {
  task_id: string;
  outcome: 'stored' | 'duplicate' | 'requeued' | 'rejected';
  code?: string;
  reason?: string;
}

export interface Completed {
  outcomes: Outcome[];
  /** Tasks that reached a final state now (to wake waiting clients). */
  finished: string[];
  /** Endpoints with requeued work (to wake their polls). */
  requeuedFor: string[];
  /** For each task finished now: its final state and times (database clock), for the metrics. */
  timings: { taskId: string; state: 'success' | 'failed'; createdAt: number; leasedAt: number | null }[];
}

export async function completeTasks(
  db: Knex,
  input: { endpointId: string; results: readonly PostedResult[]; maxResultBytes: number; maxRetries: number },
): Promise<Completed> {
  if (dialectOf(db) === 'mysql' && input.results.length === 1 && !input.results[0].retry) {
    const stored = await storeLoneResult(db, input.endpointId, input.results[0], input.maxResultBytes);
    if (stored) return stored;
  }
  // SQLite: the guarded UPDATE runs first, on its own (storeBeforeReading); a transaction only for what it left.
  const nothingStored = new Map<string, StoredFirst>();
  const storedFirst = dialectOf(db) === 'sqlite' ? await unlessBusy(() => storeBeforeReading(db, input), nothingStored) : nothingStored;
  // Classifies every result and stores what storeBeforeReading left; with nothing left it reads
  // and writes nothing, so it then runs outside a transaction.
  const classify = async (trx: Knex) => {
    const ids = [...new Set(input.results.map((r) => r.task_id))].filter((id) => !storedFirst.has(id)).sort(); // one lock order for every caller
    const select = trx('tasks')
      .select('id', 'endpoint_id', 'state', 'lease_token', 'attempts', 'leased_at', 'attempt_history', 'created_at')
      .whereIn('id', ids);
    if (dialectOf(db) === 'mysql') select.forUpdate();
    const current = new Map<string, { id: string; endpoint_id: string; state: TaskState; lease_token: string | null; attempts: number; leased_at: number | null; attempt_history: string | null; created_at: number }>(
      ids.length === 0 ? [] : (await select).map((row) => [row.id, row]),
    );

    const outcomes: Outcome[] = [];
    const toStore: StoredValues[] = [];
    const completed: Completed = { outcomes, finished: [], requeuedFor: [], timings: [] };
    const finish = (row: TimedRow, state: 'success' | 'failed') => {
      completed.finished.push(row.id);
      completed.timings.push(timingOf(row, state));
    };
    let dbNow: number | undefined;

    for (const posted of input.results) {
      const first = storedFirst.get(posted.task_id);
      if (first) {
        outcomes.push({ task_id: posted.task_id, outcome: 'stored' });
        finish(first.row, first.state);
        continue;
      }
      const row = current.get(posted.task_id);
      if (!row || row.endpoint_id !== input.endpointId) {
        outcomes.push({ task_id: posted.task_id, outcome: 'rejected', code: 'TaskNotFound', reason: 'no such task for this endpoint' });
      } else if (row.lease_token !== posted.lease_token) {
        outcomes.push({ task_id: posted.task_id, outcome: 'rejected', code: 'LeaseLost', reason: 'the lease expired and the task was handed on; this result is stale' });
      } else if (row.state === CANCELLED) {
        outcomes.push({ task_id: posted.task_id, outcome: 'rejected', code: 'TaskCancelled', reason: 'the task was cancelled' });
      } else if (isFinished(row.state)) {
        outcomes.push({ task_id: posted.task_id, outcome: 'duplicate' });
      } else if (posted.retry) {
        dbNow ??= await readNow(trx);
        const fate = await loseAttempt(trx, row, {
          reason: 'WorkerLost', message: posted.exception?.message ?? 'the worker running the task died', dbNow, maxRetries: input.maxRetries,
        });
        row.state = fate === 'failed' ? FAILED : 'waiting-for-ep';
        row.lease_token = null;
        outcomes.push({ task_id: posted.task_id, outcome: fate === 'failed' ? 'stored' : 'requeued' });
        if (fate === 'failed') finish(row, FAILED);
        else completed.requeuedFor.push(row.endpoint_id);
      } else {
        toStore.push(storedValues(posted, input.maxResultBytes));
        row.state = posted.status === 'success' ? SUCCESS : FAILED; // a second copy in this batch is a duplicate
        outcomes.push({ task_id: posted.task_id, outcome: 'stored' });
        finish(row, toStore[toStore.length - 1].state === SUCCESS ? SUCCESS : FAILED);
      }
    }

    if (toStore.length > 0) {
      const changed = await storeResults(trx, toStore, input.endpointId);
      // The rows are locked (MySQL) or we are the only writer (SQLite): anything else is a bug.
      if (changed !== toStore.length) throw new Error(`stored ${changed} of ${toStore.length} results under a held lock`);
    }
    return completed;
  };
  return storedFirst.size === input.results.length ? classify(db) : inTransaction(db, classify);
}

/**
 * A lone result (a lone round trip's) on MySQL, without the transaction's four round trips (BEGIN,
 * SELECT ... FOR UPDATE, UPDATE, COMMIT): one UPDATE guarded by everything the transaction checks
 * (this endpoint's task, running, under this lease token), which only one writer can win. The
 * row's times, which only the metrics want, are read beside it on another pooled connection, so
 * the result is stored one round trip after the post arrives, not two. Undefined, and the
 * transaction decides (and says why), whenever the UPDATE changed nothing (not this lease's
 * running task: cancelled, reaped, another endpoint's, or the same result posted twice) or
 * collided (a deadlock).
 */
async function storeLoneResult(db: Knex, endpointId: string, posted: PostedResult, maxResultBytes: number): Promise<Completed | undefined> {
  const values = storedValues(posted, maxResultBytes);
  const times: Promise<TimedRow | undefined> = db('tasks').select('id', 'created_at', 'leased_at').where({ id: posted.task_id }).first()
    .then((row: TimedRow | undefined) => row);
  times.catch(() => undefined); // dropped when the transaction decides instead
  const changed = await unlessBusy(() => storeResults(db, [values], endpointId), undefined);
  if (changed !== 1) return undefined;
  // Stored: a failed read of its times costs the metrics this task's timings, not the result.
  const row = await times.catch(() => undefined);
  return {
    outcomes: [{ task_id: posted.task_id, outcome: 'stored' }],
    finished: [posted.task_id],
    requeuedFor: [],
    timings: row ? [timingOf(row, values.state === SUCCESS ? SUCCESS : FAILED)] : [],
  };
}

type TimedRow = { id: string; created_at: number; leased_at: number | null };

interface StoredFirst { row: TimedRow; state: 'success' | 'failed' }

/**
 * SQLite: store the batch's results before reading its rows, in one statement of its own (a
 * batch is at most 1,000 results, one chunk, so one UPDATE, atomic by itself: no BEGIN, no
 * COMMIT, no knex transaction, which costs ~90 µs before any SQL). The UPDATE's guard (this
 * endpoint's task, running, under the result's lease token) is the check the read would make for
 * a result to be stored, so the results it stores are exactly those the read would pass, and
 * only one writer can win it: each result is stored once. Its RETURNING gives their times. Only
 * results it did not store (rejected, duplicates, cancelled) are then read and classified, in the
 * transaction; none of them can become storable meanwhile (a lease token is never reused). In
 * the usual batch every result is stored and that is all: a lone result is one statement, and a
 * batch of 500 reads no rows by id (docs/benchmarks.md, ledger). A batch with a retried attempt
 * or the same task twice takes the read-first path.
 */
async function storeBeforeReading(db: Knex, input: { endpointId: string; results: readonly PostedResult[]; maxResultBytes: number }): Promise<Map<string, StoredFirst>> {
  const stored = new Map<string, StoredFirst>();
  if (input.results.some((r) => r.retry) || new Set(input.results.map((r) => r.task_id)).size !== input.results.length) return stored;
  if (input.results.length > STORE_CHUNK) return stored; // more than one statement: the transaction keeps them together
  const values = input.results.map((posted) => storedValues(posted, input.maxResultBytes));
  const states = new Map(values.map((v) => [v.id, v.state === SUCCESS ? SUCCESS : FAILED] as const));
  for (const row of await storeResultsSqlite(db, values, input.endpointId)) stored.set(row.id, { row, state: states.get(row.id)! });
  return stored;
}

/** A task finished now: its final state and times (database clock), for the metrics. */
function timingOf(row: TimedRow, state: 'success' | 'failed'): Completed['timings'][number] {
  return { taskId: row.id, state, createdAt: Number(row.created_at), leasedAt: row.leased_at == null ? null : Number(row.leased_at) };
}

interface StoredValues {
  id: string;
  /** The lease it ran under: the UPDATE takes the row only while it is still that lease's. */
  leaseToken: string;
  state: TaskState;
  result: string | null;
  serializer: Serializer | null;
  exception: string | null;
}

/** Rows per result UPDATE: SQLite's limit is 32,766 bound values, MySQL's packet is larger still. */
const STORE_CHUNK = 1000;

/**
 * One UPDATE per chunk of results, joined to the posted values (a table built from
 * bound parameters), so finishing 1,000 tasks is one statement, not 1,000: SQLite
 * `UPDATE ... FROM (VALUES ...)`, MySQL `UPDATE ... JOIN (SELECT ... UNION ALL ...)`.
 * Both look each row up by its unique id (see the query plans in docs/benchmarks.md).
 * Each row is taken only while it is the endpoint's, running under the result's lease token: under the transaction's
 * lock that always holds (the count changed must equal the rows sent); for a lone result
 * stored without one (storeLoneResult), it is what makes the store exactly once.
 */
async function storeResults(trx: Knex, rows: StoredValues[], endpointId: string): Promise<number> {
  if (dialectOf(trx) === 'sqlite') return (await storeResultsSqlite(trx, rows, endpointId)).length;
  let changed = 0;
  for (const chunk of chunksOf(rows)) {
    const [header] = (await trx.raw(
      `UPDATE tasks JOIN (${chunk.map((_, i) => (i === 0 ? 'SELECT ? AS id, ? AS state, ? AS result, ? AS serializer, ? AS exception, ? AS lease_token' : 'SELECT ?, ?, ?, ?, ?, ?')).join(' UNION ALL ')}) AS v
         ON tasks.id = v.id
       SET tasks.state = v.state, tasks.result = v.result, tasks.result_serializer = v.serializer, tasks.exception = v.exception,
         tasks.completed_at = ${nowSql(trx)}, tasks.lease_expires_at = NULL, tasks.waiting_for_nodes_since = NULL
       WHERE tasks.state = ? AND tasks.lease_token = v.lease_token AND tasks.endpoint_id = ?`,
      [...boundValues(chunk), RUNNING, endpointId],
    )) as [{ affectedRows: number }];
    changed += header.affectedRows;
  }
  return changed;
}

/** The results STORE_CHUNK at a time, each chunk one UPDATE. */
function* chunksOf(rows: StoredValues[]): Generator<StoredValues[]> {
  for (let start = 0; start < rows.length; start += STORE_CHUNK) yield rows.slice(start, start + STORE_CHUNK);
}

/** A chunk's values in the order both UPDATEs bind them: id, state, result, serializer, exception, lease token. */
function boundValues(chunk: readonly StoredValues[]): (string | null)[] {
  return chunk.flatMap((s) => [s.id, s.state, s.result, s.serializer, s.exception, s.leaseToken]);
}

/** storeResults on SQLite: `UPDATE ... FROM (VALUES ...)`, returning the rows it took with their times. */
async function storeResultsSqlite(trx: Knex, rows: StoredValues[], endpointId: string): Promise<TimedRow[]> {
  const taken: TimedRow[] = [];
  for (const chunk of chunksOf(rows)) {
    const returned: TimedRow[] = await trx.raw(
      `UPDATE tasks SET state = v.column2, result = v.column3, result_serializer = v.column4, exception = v.column5,
         completed_at = ${nowSql(trx)}, lease_expires_at = NULL, waiting_for_nodes_since = NULL
       FROM (VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}) AS v
       WHERE tasks.id = v.column1 AND tasks.state = ? AND tasks.lease_token = v.column6 AND tasks.endpoint_id = ?
       RETURNING tasks.id, tasks.created_at, tasks.leased_at`,
      [...boundValues(chunk), RUNNING, endpointId],
    );
    taken.push(...returned);
  }
  return taken;
}

/** What the exception column (MySQL MEDIUMTEXT, 16 MB) holds, less room for the JSON around it. */
const MAX_EXCEPTION_BYTES = 16 * 1024 * 1024 - 64 * 1024;

function storedValues(posted: PostedResult, maxResultBytes: number): StoredValues {
  const task = { id: posted.task_id, leaseToken: posted.lease_token };
  // The whole exception counts (message and traceback too): it is stored as well, and a
  // huge one must fail its own task, not the column write for the whole batch.
  const exceptionSize = posted.exception === undefined ? 0 : Buffer.byteLength(JSON.stringify(posted.exception));
  const size = Buffer.byteLength(posted.result ?? '') + exceptionSize;
  if (size > maxResultBytes || exceptionSize > MAX_EXCEPTION_BYTES) {
    const what = exceptionSize > 0 ? 'result and exception are' : 'result is';
    const exception: TaskException = {
      type: 'TaskResultTooLarge',
      message: `the task's ${what} ${size} bytes; this service keeps results up to ${maxResultBytes} bytes`,
    };
    return { ...task, state: FAILED as TaskState, result: null, serializer: null, exception: JSON.stringify(exception) };
  }
  if (posted.status === 'success') {
    return { ...task, state: SUCCESS as TaskState, result: posted.result ?? null, serializer: posted.result_serializer ?? 'json' as Serializer, exception: null };
  }
  const exception = posted.exception ?? { type: 'UnknownError', message: 'the endpoint reported a failure without an exception' };
  return { ...task, state: FAILED as TaskState, result: null, serializer: null, exception: JSON.stringify(exception) };
}
