/** Reads of the ledger for users: tasks by id, task groups, and per-endpoint counts. */
import type { Knex } from 'knex';
import { TaskGroupNotFound } from '../errors.js';
import { RUNNING, STATUS_COLUMNS, WAITING, reportedStatus, toTaskRecord } from './model.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';
import type { TaskGroupResponse } from '@funcx-ts/shared/wire/task-group.js';
import type { UpstreamTaskRecord } from '@funcx-ts/shared/wire/upstream-task.js';
import { UPSTREAM_SERIALIZER, toUpstreamTaskRecord } from '../upstream/taskView.js';
import { offIndex } from './offIndex.js';

/**
 * Tasks by id that the caller submitted; others are reported as not found.
 * A task submitted in the upstream SDKs' format is shown in their shape.
 */
export async function readTasks(
  db: Knex,
  input: { submitter: string; taskIds: readonly string[] },
): Promise<{ found: Map<string, TaskRecord | UpstreamTaskRecord>; notFound: string[] }> {
  const unique = [...new Set(input.taskIds)];
  const read = await readTasksWithStates(db, { submitter: input.submitter, taskIds: unique });
  const found = new Map([...read].map(([id, { record }]) => [id, record]));
  return { found, notFound: unique.filter((id) => !found.has(id)) };
}

/** Tasks by id that the caller submitted, each with its ledger state beside the record the caller sees (the wait route). */
export async function readTasksWithStates(
  db: Knex,
  input: { submitter: string; taskIds: readonly string[] },
): Promise<Map<string, { state: string; record: TaskRecord | UpstreamTaskRecord }>> {
  const found = new Map<string, { state: string; record: TaskRecord | UpstreamTaskRecord }>();
  for (let start = 0; start < input.taskIds.length; start += 500) {
    const rows = await db('tasks').select(...STATUS_COLUMNS).whereIn('id', input.taskIds.slice(start, start + 500)).andWhereRaw(...offIndex('submitter', [input.submitter]));
    for (const row of rows) {
      found.set(row.id, { state: row.state, record: row.serializer === UPSTREAM_SERIALIZER ? toUpstreamTaskRecord(toTaskRecord(row)) : toTaskRecord(row) });
    }
  }
  return found;
}

export async function readTaskGroup(
  db: Knex,
  input: { submitter: string; taskGroupId: string; offset: number; limit: number },
): Promise<TaskGroupResponse> {
  const group = await db('task_groups').where({ id: input.taskGroupId }).first();
  if (!group || group.submitter !== input.submitter) throw new TaskGroupNotFound(`task group ${input.taskGroupId} not found`);
  const [{ total }] = await db('tasks').where({ task_group_id: input.taskGroupId }).count({ total: '*' });
  const rows = await db('tasks')
    .select('id', 'state', 'waiting_for_nodes_since', 'function_id', 'endpoint_id')
    .where({ task_group_id: input.taskGroupId })
    .orderBy('seq')
    .offset(input.offset)
    .limit(input.limit);
  return {
    taskgroup_id: input.taskGroupId,
    total: Number(total),
    tasks: rows.map((row) => ({
      id: row.id,
      status: reportedStatus(row),
      pending: row.state === WAITING || row.state === RUNNING,
      function_id: row.function_id,
      endpoint_id: row.endpoint_id,
    })),
  };
}

/** Tasks queued for the endpoint and tasks it holds, as the ledger sees them. */
export async function countEndpointTasks(db: Knex, endpointId: string): Promise<{ waiting: number; running: number }> {
  const rows: { state: string; n: number | string }[] = await db('tasks')
    .select('state')
    .count({ n: '*' })
    .where('endpoint_id', endpointId)
    .whereIn('state', [WAITING, RUNNING])
    .groupBy('state');
  const count = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
  return { waiting: count(WAITING), running: count(RUNNING) };
}

export { toTaskRecord };

/** Which of these tasks (the caller's) have finished: a cheap look, without results, for waiting loops. */
export async function readTaskStates(db: Knex, input: { submitter: string; taskIds: readonly string[] }): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (let start = 0; start < input.taskIds.length; start += 500) {
    const rows: { id: string; state: string }[] = await db('tasks')
      .select('id', 'state')
      .whereIn('id', input.taskIds.slice(start, start + 500))
      .andWhereRaw(...offIndex('submitter', [input.submitter]));
    for (const row of rows) states.set(row.id, row.state);
  }
  return states;
}
