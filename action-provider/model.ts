/**
 * An action as stored (the `actions` table) and as the Actions API shows it.
 * While ACTIVE its state is derived from its tasks in the ledger; once done,
 * the outcome is written to the row (status, details, completed_at), so it
 * outlives the tasks' retention and a release deletes the tasks safely.
 */
import { isoOrNull, parseStored, CANCELLED, FAILED, RUNNING, SUCCESS, WAITING, isFinished } from '../src/forParts.js';
import type { TaskException, TaskState } from '../src/forParts.js';
import { identityUrn } from './principals.js';
import type { ActionStatus } from '@funcx-ts/shared/wire/action-status.js';

export const ACTIVE = 'ACTIVE';
export const SUCCEEDED = 'SUCCEEDED';
export const FAILED_ACTION = 'FAILED';
export type ActionStatusValue = ActionStatus['status'];

export interface ActionRow {
  id: string;
  creator: string;
  request_key: string;
  request_id: string;
  request_hash: string;
  task_group_id: string;
  task_ids: string;
  label: string | null;
  monitor_by: string;
  manage_by: string;
  release_after: string;
  release_after_ms: number;
  deadline: number | null;
  status: ActionStatusValue;
  details: string | null;
  created_at: number;
  completed_at: number | null;
}

/** The columns of a task an action needs: no payload. */
export const ACTION_TASK_COLUMNS = [
  'id', 'endpoint_id', 'function_id', 'state', 'attempts', 'created_at', 'leased_at', 'completed_at',
  'result', 'result_serializer', 'exception', 'attempt_history',
] as const;

export interface ActionTask {
  id: string;
  endpoint_id: string;
  function_id: string;
  state: TaskState;
  attempts: number;
  created_at: number;
  leased_at: number | null;
  completed_at: number | null;
  result: string | null;
  result_serializer: string | null;
  exception: string | null;
  attempt_history: string | null;
}

/** Why an action ended without every task succeeding, when the tasks alone do not say. */
export interface Ending {
  code: 'ActionCancelled' | 'DeadlineExceeded';
  description: string;
}

export interface Outcome {
  status: ActionStatusValue;
  details: Record<string, unknown>;
  /** For a finished outcome: when the last task finished (epoch ms). */
  completedAt?: number;
}

export function taskIdsOf(row: ActionRow): string[] {
  return parseStored<string[]>(row.task_ids, []);
}

/** Tasks the ledger no longer has (purged past retention) count as failed. */
function orMissing(taskIds: readonly string[], tasks: readonly ActionTask[]): (ActionTask | { id: string; missing: true })[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  return taskIds.map((id) => byId.get(id) ?? { id, missing: true as const });
}

/** The outcome the tasks describe now; an ending (cancel, deadline) forces FAILED. */
export function outcomeOf(row: ActionRow, tasks: readonly ActionTask[], ending?: Ending): Outcome {
  const ids = taskIdsOf(row);
  const all = orMissing(ids, tasks);
  const finished = all.filter((t) => 'missing' in t || isFinished(t.state));
  if (!ending && finished.length < all.length) {
    const present = all.filter((t): t is ActionTask => !('missing' in t));
    const count = (state: TaskState) => present.filter((t) => t.state === state).length;
    return {
      status: ACTIVE,
      details: {
        task_group_id: row.task_group_id,
        total: ids.length,
        waiting: count(WAITING),
        running: count(RUNNING),
        succeeded: count(SUCCESS),
        failed: count(FAILED) + count(CANCELLED),
      },
    };
  }
  const completedAt = Math.max(0, ...tasks.map((t) => Number(t.completed_at ?? 0)));
  const results = all.map(resultEntry);
  const failed = all.find((t) => 'missing' in t || t.state !== SUCCESS);
  if (!ending && !failed) {
    const outputs = results.map((r) => r.output);
    return { status: SUCCEEDED, details: { result: outputs, results: results.map((r) => ({ task_id: r.task_id, output: r.output })) }, completedAt };
  }
  if (ending) return { status: FAILED_ACTION, details: { code: ending.code, description: ending.description, task_group_id: row.task_group_id, results } };
  const exception = exceptionOf(failed!);
  return {
    status: FAILED_ACTION,
    details: {
      code: 'state' in failed! && failed.state === CANCELLED ? 'TaskCancelled' : 'TaskFailed',
      description: `task ${failed!.id} failed: ${exception.type}: ${exception.message}`,
      task_id: failed!.id,
      exception,
      task_group_id: row.task_group_id,
      results,
    },
    completedAt,
  };
}

function exceptionOf(task: ActionTask | { id: string; missing: true }): TaskException {
  if ('missing' in task) return { type: 'TaskNotFound', message: 'the task was purged (past retention) before the action recorded its outcome' };
  const stored = parseStored<TaskException>(task.exception, { type: 'Unknown', message: `the task ended ${task.state}` });
  const { serialized: _serialized, ...readable } = stored;
  return readable;
}

interface ResultEntry {
  task_id: string;
  status: string;
  output?: unknown;
  exception?: TaskException;
}

function resultEntry(task: ActionTask | { id: string; missing: true }): ResultEntry {
  if ('missing' in task) return { task_id: task.id, status: FAILED, exception: exceptionOf(task) };
  if (task.state === SUCCESS) return { task_id: task.id, status: task.state, output: outputOf(task) };
  if (isFinished(task.state)) return { task_id: task.id, status: task.state, exception: exceptionOf(task) };
  return { task_id: task.id, status: task.state };
}

/** JSON results are parsed (the service reads the json serializer, and only it); others stay text. */
function outputOf(task: ActionTask): unknown {
  if (task.result == null) return null;
  if (task.result_serializer != null && task.result_serializer !== 'json') return task.result;
  try {
    return JSON.parse(task.result);
  } catch {
    return task.result;
  }
}

function displayStatus(row: ActionRow, details: Record<string, unknown>): string {
  if (row.status === SUCCEEDED) return 'Succeeded';
  if (row.status === FAILED_ACTION) {
    if (details.code === 'ActionCancelled') return 'Cancelled';
    if (details.code === 'DeadlineExceeded') return 'Deadline exceeded';
    return 'Failed';
  }
  const { total, waiting, running } = details as { total: number; waiting: number; running: number };
  const done = total - waiting - running;
  if (done === 0) return running > 0 ? 'Running' : 'Queued';
  return `${done}/${total} done`;
}

/** The Actions API's view of a row; `active` gives the details of a still-running action. */
export function toActionStatus(row: ActionRow, active?: Outcome): ActionStatus {
  const details = active?.details ?? parseStored<Record<string, unknown>>(row.details, {});
  return {
    action_id: row.id,
    status: row.status,
    creator_id: identityUrn(row.creator),
    ...(row.label != null ? { label: row.label } : {}),
    monitor_by: parseStored<string[]>(row.monitor_by, []),
    manage_by: parseStored<string[]>(row.manage_by, []),
    start_time: isoOrNull(row.created_at)!,
    ...(row.completed_at != null ? { completion_time: isoOrNull(row.completed_at)! } : {}),
    release_after: row.release_after,
    display_status: displayStatus(row, details),
    details,
  };
}
