/**
 * Tasks newest first, one page at a time: a submitter's own (GET /v3/tasks),
 * or every task on an endpoint (GET /v3/endpoints/{id}/tasks, its owner).
 *
 * Keyset paging on (created_at, seq): each page starts strictly after the last
 * row of the page before, so tasks submitted meanwhile neither shift a page
 * nor appear twice, and a page costs the same at the millionth task as at the
 * first. The indexes (submitter | endpoint_id, created_at, seq) of migration
 * 20261206150000_task_listing_indexes serve the scan in order, backwards; the
 * other filters are checked on the rows it meets. The key is written as
 * `created_at <= t AND (created_at < t OR seq < s)` rather than a row
 * comparison, which MariaDB does not turn into an index range. Reads only the
 * summary columns: never a payload, a result or an exception.
 */
import type { Knex } from 'knex';
import { RUNNING, WAITING_FOR_NODES, reportedStatus, type TaskState } from './model.js';
import { isoOrNull } from '../util/time.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';
import type { TaskSummary } from '@funcx-ts/shared/wire/task-summary.js';

export type TaskListScope = { submitter: string } | { endpointId: string };

export interface TaskListFilters {
  /** Reported statuses (a ledger state, or waiting-for-nodes); any when absent. */
  statuses?: readonly TaskRecord['status'][];
  endpointId?: string;
  functionId?: string;
  taskGroupId?: string;
  /** Created at or after, database-clock ms. */
  since?: number;
  /** Created at or before, database-clock ms. */
  until?: number;
}

/** Where a page ends: the next page starts strictly after it. */
export interface TaskListKey {
  createdAt: number;
  seq: number;
}

/** A listed task (schemas/task-summary.json); the ledger always knows its submitter. */
export type TaskSummaryRow = TaskSummary & { owner: string };

export interface TaskListPage {
  tasks: TaskSummaryRow[];
  /** The last row's key when more rows may follow, else null. */
  next: TaskListKey | null;
}

const COLUMNS = ['seq', 'id', 'state', 'waiting_for_nodes_since', 'function_id', 'endpoint_id', 'task_group_id', 'created_at', 'completed_at', 'attempts', 'submitter'] as const;

export interface TaskListInput {
  scope: TaskListScope;
  filters: TaskListFilters;
  after?: TaskListKey;
  limit: number;
}

export async function listTasks(db: Knex, input: TaskListInput): Promise<TaskListPage> {
  const rows = await taskPageQuery(db, input);
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    tasks: page.map(toSummary),
    next: rows.length > input.limit && last ? { createdAt: Number(last.created_at), seq: Number(last.seq) } : null,
  };
}

/** The query of one page (and one row more, which says whether another page follows); its plan is in docs/benchmarks.md. */
export function taskPageQuery(db: Knex, input: TaskListInput): Knex.QueryBuilder {
  const { scope, filters, after, limit } = input;
  const query = db('tasks').select(...COLUMNS);
  if ('submitter' in scope) query.where('submitter', scope.submitter);
  else query.where('endpoint_id', scope.endpointId);
  if (filters.endpointId !== undefined) query.where('endpoint_id', filters.endpointId);
  if (filters.functionId !== undefined) query.where('function_id', filters.functionId);
  if (filters.taskGroupId !== undefined) query.where('task_group_id', filters.taskGroupId);
  if (filters.since !== undefined) query.where('created_at', '>=', filters.since);
  if (filters.until !== undefined) query.where('created_at', '<=', filters.until);
  if (filters.statuses && filters.statuses.length > 0) whereStatusIn(query, filters.statuses);
  if (after) {
    query.where('created_at', '<=', after.createdAt).andWhere((q) => q.where('created_at', '<', after.createdAt).orWhere('seq', '<', after.seq));
  }
  return query.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'seq', order: 'desc' }]).limit(limit + 1);
}

/** waiting-for-nodes is a running row its endpoint reported waiting; running is one that is not. */
function whereStatusIn(query: Knex.QueryBuilder, statuses: readonly TaskRecord['status'][]): void {
  const states = new Set<string>(statuses);
  const plain = [...states].filter((s) => s !== RUNNING && s !== WAITING_FOR_NODES);
  query.andWhere((q) => {
    if (plain.length > 0) q.orWhereIn('state', plain);
    if (states.has(RUNNING) && states.has(WAITING_FOR_NODES)) q.orWhere('state', RUNNING);
    else if (states.has(RUNNING)) q.orWhere((r) => r.where('state', RUNNING).whereNull('waiting_for_nodes_since'));
    else if (states.has(WAITING_FOR_NODES)) q.orWhere((r) => r.where('state', RUNNING).whereNotNull('waiting_for_nodes_since'));
  });
}

function toSummary(row: { id: string; state: TaskState; waiting_for_nodes_since: number | null; function_id: string; endpoint_id: string; task_group_id: string | null; created_at: number; completed_at: number | null; attempts: number; submitter: string }): TaskSummaryRow {
  return {
    task_id: row.id,
    status: reportedStatus(row),
    function_id: row.function_id,
    endpoint_id: row.endpoint_id,
    task_group_id: row.task_group_id ?? null,
    created_at: isoOrNull(row.created_at)!,
    completed_at: isoOrNull(row.completed_at),
    attempts: Number(row.attempts),
    owner: row.submitter,
  };
}
