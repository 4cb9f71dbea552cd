/**
 * Starts an action, idempotently per (caller, request_id):
 *  - a request_id seen before with the same request answers the same action;
 *    with a different request it is a conflict;
 *  - concurrent twins create one action: the tasks go through the ledger's
 *    idempotent submit under a key derived from the request_id (so they are
 *    created once, and a different body under the same id is refused there),
 *    and the action row is inserted in that submit's transaction: tasks and
 *    action commit together or not at all. A twin whose submit is a replay
 *    reads the action that committed with the tasks.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { now, inTransaction, isDuplicateKeyError, IdempotencyKeyReused, acceptSubmission } from '../../src/forParts.js';
import type { Submitted, AppContext, ServiceDeps, UserPrincipal } from '../../src/forParts.js';
import { ActionConflict } from '../errors.js';
import { ACTIVE, type ActionRow } from '../model.js';
import { toLedgerTask, type PlannedTask } from '../input.js';

export interface NewAction {
  user: UserPrincipal;
  requestId: string;
  /** SHA-256 of the request's canonical form: what makes a replay "the same request". */
  requestHash: string;
  tasks: PlannedTask[];
  label?: string;
  monitorBy: string[];
  manageBy: string[];
  releaseAfter: string;
  releaseAfterMs: number;
  deadline?: number;
}

export function requestKeyOf(requestId: string): string {
  return createHash('sha256').update(requestId).digest('hex');
}

/** The earlier action for this caller's request_id, if any; a different request under it is a conflict. */
export async function findReplay(db: Knex, creator: string, requestId: string, requestHash: string): Promise<ActionRow | undefined> {
  const row = (await db('actions').where({ creator, request_key: requestKeyOf(requestId) }).first()) as ActionRow | undefined;
  if (row && row.request_hash !== requestHash) {
    throw new ActionConflict(`request_id ${JSON.stringify(requestId)} was already used for a different request (action ${row.id})`);
  }
  return row;
}

export async function createAction(deps: ServiceDeps, ctx: AppContext, input: NewAction): Promise<{ row: ActionRow; created: boolean }> {
  const { db } = deps;
  const requestKey = requestKeyOf(input.requestId);
  const actionId = randomUUID();
  let submitted;
  try {
    submitted = await acceptSubmission(deps, ctx, {
      user: input.user,
      tasks: input.tasks.map(toLedgerTask),
      dedupe: { key: `action:${requestKey}`, bodyHash: input.requestHash },
      // The action row commits with its tasks or not at all: a failed insert leaves no orphan tasks.
      within: (trx, tasks) => insertAction(trx, actionId, requestKey, input, tasks),
    });
  } catch (error) {
    if (error instanceof IdempotencyKeyReused) {
      throw new ActionConflict(`request_id ${JSON.stringify(input.requestId)} was already used for a different request`);
    }
    throw error;
  }
  if (!submitted.replayed) return { row: (await db('actions').where({ id: actionId }).first()) as ActionRow, created: true };

  // A twin's submit (same request_id and request: the ledger's strict key makes that so) came first;
  // its action row committed with its tasks.
  const stored = (await db('actions').where({ creator: input.user.id, request_key: requestKey }).first()) as ActionRow | undefined;
  if (stored) {
    if (stored.request_hash !== input.requestHash) throw new ActionConflict(`request_id ${JSON.stringify(input.requestId)} was already used for a different request`);
    return { row: stored, created: false };
  }
  // Tasks with no action: submitted before the two were one transaction. Give them their action now.
  try {
    await inTransaction(db, (trx) => insertAction(trx, actionId, requestKey, input, submitted));
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const twin = (await db('actions').where({ creator: input.user.id, request_key: requestKey }).first()) as ActionRow | undefined;
    if (!twin) throw error;
    return { row: twin, created: false };
  }
  return { row: (await db('actions').where({ id: actionId }).first()) as ActionRow, created: true };
}

/**
 * A plain INSERT: MySQL's INSERT IGNORE would also turn a value too long for
 * its column into a warning and commit it truncated. A twin's row for the same
 * (creator, request_key) makes it a duplicate-key error.
 */
async function insertAction(trx: Knex.Transaction, actionId: string, requestKey: string, input: NewAction, submitted: Submitted): Promise<void> {
  await trx('actions').insert({
    id: actionId,
    creator: input.user.id,
    request_key: requestKey,
    request_id: input.requestId,
    request_hash: input.requestHash,
    task_group_id: submitted.taskGroupId,
    task_ids: JSON.stringify(submitted.taskIds),
    label: input.label ?? null,
    monitor_by: JSON.stringify(input.monitorBy),
    manage_by: JSON.stringify(input.manageBy),
    release_after: input.releaseAfter,
    release_after_ms: input.releaseAfterMs,
    deadline: input.deadline ?? null,
    status: ACTIVE,
    details: null,
    created_at: now(trx),
    completed_at: null,
  });
  const principals = [
    ...input.monitorBy.map((principal) => ({ action_id: actionId, role: 'monitor_by', principal })),
    ...input.manageBy.map((principal) => ({ action_id: actionId, role: 'manage_by', principal })),
  ];
  if (principals.length > 0) await trx('action_principals').insert(principals);
}
