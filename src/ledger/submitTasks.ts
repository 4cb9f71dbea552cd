/**
 * Accepts tasks into the ledger, all or none, idempotently.
 *
 * A retried submit must not create the tasks twice. The dedupe key comes from
 * an explicit Idempotency-Key header or the Action Provider's request_id:
 * another body under the same key is a conflict. Without a key nothing is
 * deduplicated (a task group is not a key: the same call twice runs twice).
 */
import type { UserRuntime } from '@funcx-ts/shared/wire/user-runtime.js';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now, nowSql } from '../db/clock.js';
import { batchedTransaction, type Statement } from '../db/batchedTransaction.js';
import { inTransaction, isDuplicateKeyError, withCollisionRetries } from '../db/transaction.js';
import { IdempotencyKeyReused, TaskGroupNotFound } from '../errors.js';
import { RUNNING, WAITING, type Serializer } from './model.js';
import { dialectOf } from '../db/connect.js';
import { userConfigKey } from './userConfigKey.js';
import type { ResourceSpecification } from '../resources/resourceSpecification.js';

export interface NewTask {
  functionId: string;
  endpointId: string;
  payload: string;
  serializer: Serializer;
  /** The submitter's settings for a multi-user endpoint's per-user endpoint (upstream's user_endpoint_config). */
  userEndpointConfig?: Record<string, unknown>;
  /** Nodes and MPI ranks the task needs (checked by the caller); stored as JSON, handed to the endpoint with the lease. */
  resourceSpecification?: ResourceSpecification;
  /**
   * What the submitter's client runs on (user-runtime.json, upstream's user_runtime), handed to the
   * endpoint with the lease: a multi-user endpoint renders it into a per-user endpoint's config, and
   * it is part of that endpoint's key.
   */
  userRuntime?: UserRuntime;
}

/**
 * More writes that must commit with the tasks or not at all (the Action
 * Provider's action row): run in the submit's transaction, only when the tasks
 * are new (not for a replay).
 */
export type WithinSubmit = (trx: Knex.Transaction, submitted: Submitted) => Promise<void>;

export interface Dedupe {
  key: string;
  /** A different body under the same key is a conflict. */
  bodyHash: string;
}

/**
 * Tasks of a submit leased at once to a lease poll waiting on this service instance
 * (http/waitingLeasePolls.ts): written as running under this lease, in the submit's transaction.
 */
export interface LeasedAtSubmit {
  /** Indexes into the submit's tasks. */
  taskIndexes: readonly number[];
  leaseToken: string;
  /** The polling agent's session (leased_by), as a lease records it. */
  session?: string;
  leaseMs: number;
}

export interface Submitted {
  requestId: string;
  taskGroupId: string;
  taskIds: string[];
  /** true when this was a replay of an earlier accepted submit. */
  replayed: boolean;
}

/** Rows per INSERT: 12 bound values each, well under SQLite's 32,766 and MySQL's 65,535. */
const INSERT_CHUNK = 1000;

export async function submitTasks(
  db: Knex,
  input: { submitter: string; taskGroupId?: string; dedupe?: Dedupe; tasks: readonly NewTask[]; within?: WithinSubmit; leasedAtSubmit?: readonly LeasedAtSubmit[] },
): Promise<Submitted> {
  const taskGroupId = input.taskGroupId ?? randomUUID();
  const mysql = dialectOf(db) === 'mysql';
  const named = { ...input, taskGroupId, groupNamed: input.taskGroupId !== undefined };
  try {
    if (mysql && !input.within && fitsOnePacket(input.tasks)) return await withCollisionRetries(() => submitInOneBatch(db, named));
    const group = mysql ? groupRowBeside(db, taskGroupId, input.submitter) : undefined;
    return await inTransaction(db, (trx) => submitInTransaction(trx, named, group));
  } catch (error) {
    // The dedupe key was stored before (a retry), or by a concurrent twin first: answer with its result.
    if (input.dedupe && isDuplicateKeyError(error)) {
      const replay = await findReplay(db, input.submitter, input.dedupe);
      if (replay) return replay;
    }
    throw error;
  }
}

/**
 * Above this many payload bytes a submit's statements are sent one by one: one packet must stay
 * under the server's max_allowed_packet (MariaDB's default 16 MiB, MySQL 8's 64 MiB; escaping
 * may double a payload), and a large submit's round trips are shared by its many tasks anyway.
 */
const ONE_PACKET_PAYLOAD_BYTES = 1024 * 1024;

function fitsOnePacket(tasks: readonly NewTask[]): boolean {
  if (tasks.length > INSERT_CHUNK) return false;
  let bytes = 0;
  for (const task of tasks) bytes += task.payload.length; // UTF-16 units: at most 3 bytes each, hence the margin above
  return bytes <= ONE_PACKET_PAYLOAD_BYTES;
}

/**
 * MySQL, a submit that fits one packet: its key, its group and its tasks sent together behind
 * START TRANSACTION, with COMMIT at the packet's end: one round trip, where the transaction below
 * takes four or five (batchedTransaction.ts). A named group's owner is read in the packet
 * instead, and checked before a COMMIT of its own: two round trips. The group's row is in the
 * transaction here, so a refused submit leaves no empty group behind.
 */
async function submitInOneBatch(
  db: Knex,
  input: { submitter: string; taskGroupId: string; groupNamed: boolean; dedupe?: Dedupe; tasks: readonly NewTask[]; leasedAtSubmit?: readonly LeasedAtSubmit[] },
): Promise<Submitted> {
  const { taskGroupId, submitter } = input;
  const taskIds = input.tasks.map(() => randomUUID());
  const submitted: Submitted = { requestId: randomUUID(), taskGroupId, taskIds, replayed: false };
  const statements: Statement[] = [];
  // The key first: a key seen before fails here, before anything else is written (submitTasks replays).
  if (input.dedupe) statements.push(submissionRow(db, submitter, input.dedupe, submitted));
  statements.push({ sql: `INSERT IGNORE INTO task_groups (id, submitter, created_at) VALUES (?, ?, ${nowSql(db)})`, bindings: [taskGroupId, submitter] });
  statements.push(...taskInserts(db, input, taskIds));
  // A group named by the caller may be another user's (then the insert above was ignored): its
  // owner is read in the packet and checked before COMMIT. A new group (a lone run's) is the
  // caller's, so COMMIT ends the packet: one round trip.
  if (!input.groupNamed) {
    await batchedTransaction(db, statements);
    return submitted;
  }
  statements.push({ sql: 'SELECT submitter FROM task_groups WHERE id = ?', bindings: [taskGroupId] });
  await batchedTransaction(db, statements, (answers) => {
    const [owner] = answers[answers.length - 1] as { submitter: string }[];
    if (owner?.submitter !== submitter) throw new TaskGroupNotFound(`task group ${taskGroupId} not found`);
  });
  return submitted;
}

/** The remembered submission (an Idempotency-Key's row): the answer a replay gives. */
function submissionRow(db: Knex, submitter: string, dedupe: Dedupe, submitted: Submitted): Statement {
  return {
    sql: `INSERT INTO submissions (id, submitter, dedupe_key, body_hash, response, created_at) VALUES (?, ?, ?, ?, ?, ${nowSql(db)})`,
    bindings: [submitted.requestId, submitter, dedupe.key, dedupe.bodyHash, JSON.stringify({ taskGroupId: submitted.taskGroupId, taskIds: submitted.taskIds })],
  };
}

/**
 * MySQL: the task group's row, written beside the submit's transaction rather than in it, on
 * another pooled connection while the transaction writes the key and the tasks: one round trip
 * fewer for every submit. `made` says whether this insert created the group (the caller's, then);
 * the transaction awaits it before its commit, and a group that is someone else's rolls the
 * tasks back as before. A submit that fails after it may leave its group empty, as a refused
 * submit into a new group always could: the same id's next submit (a retry) uses it, and the
 * purge removes empty groups past retention. A failed insert is made again by the next attempt.
 */
function groupRowBeside(db: Knex, taskGroupId: string, submitter: string): { made(): Promise<boolean> } {
  let insert: Promise<boolean> | undefined;
  const start = () => {
    const made = db.raw(`INSERT IGNORE INTO task_groups (id, submitter, created_at) VALUES (?, ?, ${nowSql(db)})`, [taskGroupId, submitter])
      .then(([header]: [{ affectedRows: number }]) => header.affectedRows === 1);
    made.catch(() => { if (insert === made) insert = undefined; });
    insert = made;
    return made;
  };
  start(); // out now, beside the transaction's first statements
  return { made: () => insert ?? start() };
}

async function submitInTransaction(
  trx: Knex.Transaction,
  input: { submitter: string; taskGroupId: string; groupNamed: boolean; dedupe?: Dedupe; tasks: readonly NewTask[]; within?: WithinSubmit; leasedAtSubmit?: readonly LeasedAtSubmit[] },
  groupBeside?: { made(): Promise<boolean> },
): Promise<Submitted> {
  const taskGroupId = input.taskGroupId;
  const taskIds = input.tasks.map(() => randomUUID());
  const submitted: Submitted = { requestId: randomUUID(), taskGroupId, taskIds, replayed: false };
  if (input.dedupe) {
    // The key first, without reading it: a key seen before is a duplicate-key error here (after
    // the twin's commit, if it is still in flight), and submitTasks answers with the earlier
    // submit's result, or refuses a different body. A fresh key, nearly every submit, costs no read.
    const row = submissionRow(trx, input.submitter, input.dedupe, submitted);
    await trx.raw(row.sql, row.bindings);
  }
  // Two first submits into one new group may race: the loser's insert is ignored, then both read the owner.
  // The insert says whether it made the group (then it is the caller's, and the read is spared:
  // the Python client names a new group in every submit).
  if (!groupBeside) await trx('task_groups').insert({ id: taskGroupId, submitter: input.submitter, created_at: now(trx) }).onConflict('id').ignore();
  const ownerCheck = async () => {
    const made = groupBeside ? await groupBeside.made() : false; // MySQL: the group's row is in before the commit
    if (!input.groupNamed || made) return;
    const group = await trx('task_groups').where({ id: taskGroupId }).first();
    if (group.submitter !== input.submitter) throw new TaskGroupNotFound(`task group ${taskGroupId} not found`);
  };
  if (!groupBeside) await ownerCheck(); // SQLite: in-process, nothing to overlap

  for (const insert of taskInserts(trx, input, taskIds)) await trx.raw(insert.sql, insert.bindings);
  if (groupBeside) await ownerCheck(); // before the commit: tasks in no group or in someone else's roll back
  if (input.within) await input.within(trx, submitted);
  return submitted;
}

/** The INSERTs of a submit's tasks: those leased at submit first (the oldest of their endpoint's in this submit), then the rest, waiting. */
function taskInserts(
  db: Knex,
  input: { submitter: string; taskGroupId: string; tasks: readonly NewTask[]; leasedAtSubmit?: readonly LeasedAtSubmit[] },
  taskIds: readonly string[],
): Statement[] {
  const leaseOf = new Map<number, LeasedAtSubmit>();
  for (const lease of input.leasedAtSubmit ?? []) for (const index of lease.taskIndexes) leaseOf.set(index, lease);
  const indexes = input.tasks.map((_, index) => index);
  const perObject = sharedObjectEncodings();
  return [
    ...(input.leasedAtSubmit ?? []).flatMap((lease) => insertsOf(db, input, taskIds, lease.taskIndexes, perObject, lease)),
    ...insertsOf(db, input, taskIds, leaseOf.size === 0 ? indexes : indexes.filter((index) => !leaseOf.has(index)), perObject),
  ];
}

/**
 * Hand-written multi-row INSERTs of the given tasks, INSERT_CHUNK rows each: knex's builder costs
 * more per row than the database does here. Waiting, or (with `lease`) running under that lease,
 * as a lease marks a row.
 */
function insertsOf(
  db: Knex,
  input: { submitter: string; taskGroupId: string; tasks: readonly NewTask[] },
  taskIds: readonly string[],
  indexes: readonly number[],
  perObject: ReturnType<typeof sharedObjectEncodings>,
  lease?: LeasedAtSubmit,
): Statement[] {
  const statements: Statement[] = [];
  const now = nowSql(db);
  const row = lease
    ? `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ${now}, ?, ?, ${now} + ?, ${now})`
    : `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ${now})`;
  const leaseColumns = lease ? ', lease_token, leased_by, lease_expires_at, leased_at' : '';
  for (let start = 0; start < indexes.length; start += INSERT_CHUNK) {
    const chunk = indexes.slice(start, start + INSERT_CHUNK);
    const values: (string | number | null)[] = [];
    for (const index of chunk) {
      const task = input.tasks[index];
      values.push(
        taskIds[index], input.taskGroupId, task.functionId, task.endpointId, input.submitter, task.payload, task.serializer, lease ? RUNNING : WAITING,
        task.userEndpointConfig ? JSON.stringify(task.userEndpointConfig) : null,
        perObject.configKey(task.userEndpointConfig, task.userRuntime),
        task.resourceSpecification ? JSON.stringify(task.resourceSpecification) : null,
        task.userRuntime ? perObject.json(task.userRuntime) : null,
      );
      if (lease) values.push(lease.leaseToken, lease.session ?? null, Math.round(lease.leaseMs));
    }
    statements.push({
      sql: `INSERT INTO tasks (id, task_group_id, function_id, endpoint_id, submitter, payload, serializer, state, user_endpoint_config, user_config_key, resource_specification, user_runtime, attempts, created_at${leaseColumns})
       VALUES ${chunk.map(() => row).join(', ')}`,
      bindings: values,
    });
  }
  return statements;
}

/**
 * The user-config key and the stored JSON of objects that the tasks of one submit share: the
 * routes give every task without its own user_runtime the body's one object, and canonicalising
 * and hashing it for each task cost 15-20 us a task (the Python client's runtime, 20 fields),
 * about 3 % of the service's CPU per task in the CPU bench (docs/benchmarks.md). Keyed by the
 * objects themselves, so tasks with their own settings or runtime get their own key, as before.
 */
function sharedObjectEncodings(): { configKey(config?: Record<string, unknown>, runtime?: UserRuntime): string; json(value: object): string } {
  const noConfig = {};
  const keys = new Map<object, Map<object, string>>();
  const encoded = new Map<object, string>();
  return {
    configKey(config, runtime) {
      const byRuntime = keys.get(config ?? noConfig) ?? new Map<object, string>();
      keys.set(config ?? noConfig, byRuntime);
      let key = byRuntime.get(runtime ?? noConfig);
      if (key === undefined) {
        key = userConfigKey(config, runtime);
        byRuntime.set(runtime ?? noConfig, key);
      }
      return key;
    },
    json(value) {
      let text = encoded.get(value);
      if (text === undefined) {
        text = JSON.stringify(value);
        encoded.set(value, text);
      }
      return text;
    },
  };
}

async function findReplay(db: Knex, submitter: string, dedupe: Dedupe): Promise<Submitted | undefined> {
  const row = await db('submissions').where({ submitter, dedupe_key: dedupe.key }).first();
  if (!row) return undefined;
  if (row.body_hash !== dedupe.bodyHash) {
    throw new IdempotencyKeyReused('this Idempotency-Key was already used for a different request');
  }
  const { taskGroupId, taskIds } = JSON.parse(row.response) as { taskGroupId: string; taskIds: string[] };
  return { requestId: row.id, taskGroupId, taskIds, replayed: true };
}
