/**
 * The shapes the service answers with, as the SDK hands them on. Where the SDK passes an
 * answer on as the service gave it, its type is the wire type generated from schemas/*.json
 * (@funcx-ts/shared/wire, published with the shared package), renamed to the SDK's public
 * name; written out here are only the SDK's own views (an endpoint's status with `logs`
 * filled in, a batch result per task) and its options.
 */
import type { FunctionRecord as WireFunctionRecord } from '@funcx-ts/shared/wire/function.js';
import type { FunctionSearchResponse } from '@funcx-ts/shared/wire/function-search-response.js';
import type { EndpointListResponse } from '@funcx-ts/shared/wire/endpoint-list-response.js';
import type { EndpointStatusResponse } from '@funcx-ts/shared/wire/endpoint-status.js';
import type { ResourceSpecification as WireResourceSpecification } from '@funcx-ts/shared/wire/resource-specification.js';
import type { Exception, TaskRecord as WireTaskRecord } from '@funcx-ts/shared/wire/task.js';
import type { TaskGroupCancelResponse } from '@funcx-ts/shared/wire/task-group-cancel-response.js';
import type { TaskListResponse } from '@funcx-ts/shared/wire/task-list-response.js';
import type { TaskSubmitRequest } from '@funcx-ts/shared/wire/task-submit.js';
import type { TaskSummary as WireTaskSummary } from '@funcx-ts/shared/wire/task-summary.js';
import type { TaskWaitResponse as WireTaskWaitResponse } from '@funcx-ts/shared/wire/task-wait-response.js';

export type Runtime = WireFunctionRecord['runtime'];

/**
 * Nodes and MPI ranks a task needs (schemas/resource-specification.json), as Globus Compute's
 * resource_specification. Missing numbers are derived: num_nodes defaults to 1; neither
 * ranks_per_node nor num_ranks: one rank per node. An MPIFunction's tasks need one.
 */
export type ResourceSpecification = WireResourceSpecification;
/** How a payload is serialized (schemas/task-submit.json). */
export type Serializer = NonNullable<TaskSubmitRequest['serializer']>;
/** waiting-for-nodes: leased by an endpoint that waits for nodes (a block in the batch scheduler's queue). */
export type TaskStatus = WireTaskRecord['status'];

/** A failed task's exception (schemas/task.json). */
export type TaskException = Exception;

/** A task's state, and its result or exception once finished (schemas/task.json). */
export type TaskRecord = WireTaskRecord;

/** One attempt of a task (schemas/task.json history). */
export type TaskAttempt = NonNullable<TaskRecord['history']>[number];

/** A registered function (schemas/function.json). */
export type FunctionRecord = WireFunctionRecord;

/** One match of a function search (schemas/function-search-response.json). */
export type FunctionSummary = FunctionSearchResponse['functions'][number];

/** One entry of an endpoint listing (schemas/endpoint-list-response.json); multi_user: run by an administrator for many users (docs/multi-user-endpoints.md). */
export type EndpointSummary = EndpointListResponse['endpoints'][number];

/** A multi-user endpoint's per-user endpoint, as its status lists it (schemas/endpoint-status.json). */
export type UserEndpointStatus = NonNullable<EndpointStatusResponse['user_endpoints']>[number];

export interface HeartbeatLog {
  /** When the endpoint reported; null in the entry getEndpointStatus makes for an endpoint that never reported. */
  timestamp: string | null;
  total_workers: number;
  idle_workers: number;
  outstanding_tasks: number;
  pending_tasks: number;
  hostname?: string;
  runtimes?: { name: string; version: string }[];
  details?: Record<string, unknown>;
}

/**
 * An endpoint's status as getEndpointStatus gives it: schemas/endpoint-status.json, with `logs`
 * always holding an entry and the totals always present (the SDK's view, so written out here).
 */
export interface EndpointStatus {
  endpoint_id: string;
  status: 'online' | 'offline';
  /** online; offline (stopped cleanly, or never connected); lost (heartbeats stopped without a word); failed (a fatal error). */
  state?: 'online' | 'offline' | 'lost' | 'failed';
  /** Why, in words: who stopped it, since when no heartbeat came, the fatal error. */
  state_detail?: string | null;
  state_since?: string | null;
  /** With blocks: each block and what its scheduler says of it (PENDING (Resources), RUNNING). */
  blocks?: { block_id: string; job_id: string | null; scheduler_state: string }[];
  total_workers: number;
  idle_workers: number;
  outstanding_tasks: number;
  pending_tasks: number;
  last_heartbeat_at: string | null;
  /**
   * Newest first: `logs[0]` is the latest heartbeat (as the funcX tutorial reads it). The service
   * answers `[]` for an endpoint that never reported; getEndpointStatus then gives one entry made
   * from the current totals, so `logs[0]` always exists.
   */
  logs: HeartbeatLog[];
  /** A per-user endpoint: what last went wrong starting or running it. */
  last_error?: string | null;
  /** A multi-user endpoint: its per-user endpoints (yours; all of them for its owner). */
  user_endpoints?: UserEndpointStatus[];
}

/** schemas/task-wait-response.json, whose `done` holds task records (schemas/task.json). */
export interface TaskWaitResponse extends Omit<WireTaskWaitResponse, 'done'> {
  done: Record<string, TaskRecord>;
}

/** What `getBatchResult` gives per task, as funcX's get_batch_result does. */
export interface BatchResultEntry {
  status: TaskStatus;
  pending: boolean;
  result?: unknown;
  exception?: TaskException;
  completion_t?: string | null;
}

/** One task in a listing (schemas/task-summary.json): state and times, never its payload or result. */
export type TaskSummary = WireTaskSummary;

/** A page of tasks, newest first (schemas/task-list-response.json); pass next_cursor back for the next page (null: none). */
export type TaskListPage = TaskListResponse;

/** Which tasks a listing shows (schemas/task-list-query.json). */
export interface TaskListOptions {
  /** One status or several; any when absent (an endpoint's listing: queued and running). */
  status?: TaskStatus | TaskStatus[];
  endpointId?: string;
  functionId?: string;
  taskGroupId?: string;
  /** Created at or after: a Date, an ISO 8601 string, or a duration back from now ('30m', '1h', '7d'). */
  since?: Date | string;
  /** Created at or before; the same forms. */
  until?: Date | string;
  /** next_cursor of the previous page (with the same filters). */
  cursor?: string;
  /** Tasks per page, 1 to 500 (default 50). */
  limit?: number;
}

/** What cancelling a task group did (schemas/task-group-cancel-response.json). */
export type TaskGroupCancelled = TaskGroupCancelResponse;
