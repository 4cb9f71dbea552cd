/** The query of a task listing (GET /v3/tasks, GET /v3/endpoints/{id}/tasks) from the SDK's options. */
import type { TaskListOptions } from './types.js';

export function taskListQuery(options: TaskListOptions): Record<string, string | number | undefined> {
  const status = Array.isArray(options.status) ? options.status.join(',') : options.status;
  return {
    status: status || undefined,
    endpoint_id: options.endpointId,
    function_id: options.functionId,
    task_group_id: options.taskGroupId,
    since: timeBound(options.since),
    until: timeBound(options.until),
    cursor: options.cursor,
    limit: options.limit,
  };
}

function timeBound(value: Date | string | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}
