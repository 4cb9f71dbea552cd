/** The task ledger's row shape, its states, and how a row is shown to users. */
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';

export const WAITING = 'waiting-for-ep';
export const RUNNING = 'running';
export const SUCCESS = 'success';
export const FAILED = 'failed';
export const CANCELLED = 'cancelled';
/**
 * Not a ledger state: how a `running` task is reported while its endpoint
 * says it waits for nodes (a block still in the scheduler's queue).
 */
export const WAITING_FOR_NODES = 'waiting-for-nodes';

/** The ledger's states (the `state` column). */
export type TaskState = Exclude<TaskRecord['status'], typeof WAITING_FOR_NODES>;
/** globus-compute: the upstream SDKs' pack_buffers payloads (tasks submitted through src/upstream/). */
export type Serializer = 'json' | 'pickle' | 'globus-compute';
export const FINISHED_STATES: readonly TaskState[] = [SUCCESS, FAILED, CANCELLED];

export interface TaskException {
  type: string;
  message: string;
  traceback?: string;
  serialized?: string;
}

export interface AttemptRecord {
  attempt: number;
  leased_at: string | null;
  ended_at: string;
  reason: string;
  message?: string;
}

export interface TaskRow {
  seq: number;
  id: string;
  task_group_id: string;
  function_id: string;
  endpoint_id: string;
  submitter: string;
  payload: string;
  serializer: Serializer;
  state: TaskState;
  attempts: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  created_at: number;
  leased_at: number | null;
  completed_at: number | null;
  result: string | null;
  result_serializer: Serializer | null;
  exception: string | null;
  attempt_history: string | null;
  waiting_for_nodes_since: number | null;
  /** JSON of the submitter's resource_specification; null for an ordinary task. */
  resource_specification: string | null;
}

/** Columns a status read needs: everything but the (possibly large) payload. */
export const STATUS_COLUMNS = [
  'id', 'task_group_id', 'function_id', 'endpoint_id', 'submitter', 'state', 'attempts', 'created_at',
  'leased_at', 'completed_at', 'result', 'result_serializer', 'exception', 'attempt_history',
  'waiting_for_nodes_since', 'serializer',
] as const;

export function isFinished(state: TaskState): boolean {
  return FINISHED_STATES.includes(state);
}

/** The status users see: the ledger's state, with a running task its endpoint reported waiting for nodes shown as such. */
export function reportedStatus(row: { state: TaskState; waiting_for_nodes_since?: number | null }): TaskRecord['status'] {
  return row.state === RUNNING && row.waiting_for_nodes_since != null ? WAITING_FOR_NODES : row.state;
}

export function toTaskRecord(row: Omit<TaskRow, 'payload' | 'seq' | 'serializer' | 'lease_token' | 'lease_expires_at'>): TaskRecord {
  const history = parseStored<AttemptRecord[]>(row.attempt_history, []);
  return {
    task_id: row.id,
    status: reportedStatus(row),
    pending: !isFinished(row.state),
    task_group_id: row.task_group_id,
    function_id: row.function_id,
    endpoint_id: row.endpoint_id,
    attempts: Number(row.attempts),
    created_at: isoOrNull(row.created_at)!,
    leased_at: isoOrNull(row.leased_at),
    completed_at: isoOrNull(row.completed_at),
    completion_t: row.completed_at == null ? null : (Number(row.completed_at) / 1000).toFixed(3),
    ...(row.result != null ? { result: row.result } : {}),
    ...(row.result_serializer != null ? { result_serializer: row.result_serializer } : {}),
    ...(row.exception != null ? { exception: parseStored<TaskException>(row.exception, { type: 'Unknown', message: '' }) } : {}),
    ...(history.length > 0 ? { details: { attempt_history: history } } : {}),
  };
}
