/**
 * A task submitted in the upstream SDKs' format is shown in the shape they
 * decode: the result is the worker's header-prefixed buffer as is, the
 * exception a traceback string, and `cancelled` is finished and failed (the
 * SDKs treat every status but success and failed as pending, so a cancelled
 * task would otherwise be waited on forever). No `details`: the SDK reads it as
 * the worker's environment and would warn of a version mismatch.
 */
import { CANCELLED, FAILED, type TaskException } from '../ledger/model.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';
import type { UpstreamTaskRecord } from '@funcx-ts/shared/wire/upstream-task.js';

export const UPSTREAM_SERIALIZER = 'globus-compute';

export function toUpstreamTaskRecord(record: TaskRecord): UpstreamTaskRecord {
  const cancelled = record.status === CANCELLED;
  return {
    task_id: record.task_id,
    status: cancelled ? FAILED : record.status as UpstreamTaskRecord['status'],
    pending: record.pending,
    task_group_id: record.task_group_id,
    function_id: record.function_id,
    endpoint_id: record.endpoint_id,
    created_at: record.created_at,
    completion_t: record.completion_t,
    ...(record.result !== undefined ? { result: record.result } : {}),
    ...(record.exception !== undefined ? { exception: exceptionText(record.exception) } : {}),
  };
}

function exceptionText(exception: TaskException): string {
  return exception.traceback?.trim() ? exception.traceback : `${exception.type}: ${exception.message}`;
}
