/**
 * The shapes the service answers with, as the SDK hands them on. Written out
 * here (not imported from src/generated) so the SDK's published types stand on
 * their own; they follow schemas/*.json, which remain the source of truth.
 */
export type Runtime = 'python' | 'javascript' | 'shell' | 'mpi';

/**
 * Nodes and MPI ranks a task needs (schemas/resource-specification.json), as Globus Compute's
 * resource_specification. Missing numbers are derived: num_nodes defaults to 1; neither
 * ranks_per_node nor num_ranks: one rank per node. An MPIFunction's tasks need one.
 */
export interface ResourceSpecification {
  num_nodes?: number;
  ranks_per_node?: number;
  num_ranks?: number;
  /** Extra launcher arguments, appended to $PARSL_MPI_PREFIX as written. */
  launcher_options?: string;
}
export type Serializer = 'json' | 'pickle';
/** waiting-for-nodes: leased by an endpoint that waits for nodes (a block in the batch scheduler's queue). */
export type TaskStatus = 'waiting-for-ep' | 'waiting-for-nodes' | 'running' | 'success' | 'failed' | 'cancelled';

export interface TaskException {
  type: string;
  message: string;
  traceback?: string;
  serialized?: string;
}

/** schemas/task.json */
export interface TaskRecord {
  task_id: string;
  status: TaskStatus;
  pending: boolean;
  task_group_id: string;
  function_id: string;
  endpoint_id: string;
  attempts: number;
  created_at: string;
  leased_at: string | null;
  completed_at: string | null;
  completion_t: string | null;
  result?: string;
  result_serializer?: Serializer;
  exception?: TaskException;
  details?: { attempt_history?: { attempt: number; leased_at: string | null; ended_at: string; reason: string; message?: string }[] };
  /** Why a pending task waits (waiting-for-ep: endpoint lost since ...; waiting-for-nodes: block 1234 PENDING (Priority); waiting-for-launch: ...). */
  reason?: string | null;
  /** Each attempt and how it ended, the current one last. */
  history?: TaskAttempt[];
}

/** One attempt of a task (schemas/task.json history). */
export interface TaskAttempt {
  attempt: number;
  started_at: string | null;
  ended_at: string | null;
  /** completed, failed, cancelled, running, lease expired, worker lost, handed back */
  outcome: string;
  detail: string | null;
}

/** schemas/function.json */
export interface FunctionRecord {
  function_uuid: string;
  name: string;
  runtime: Runtime;
  source: string;
  entry_point: string | null;
  /** The container image its tasks run in, when it names one. */
  container_image?: string;
  description: string;
  owner: string;
  public: boolean;
  searchable: boolean;
  group_ids: string[];
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** One match of schemas/function-search-response.json */
export interface FunctionSummary {
  function_uuid: string;
  name: string;
  runtime: Runtime;
  description: string;
  owner: string;
  public: boolean;
  created_at: string;
}

/** One entry of schemas/endpoint-list-response.json */
export interface EndpointSummary {
  endpoint_id: string;
  name: string;
  display_name: string;
  owner: string;
  public: boolean;
  status: 'online' | 'offline';
  /** An endpoint an administrator runs for many users (docs/multi-user-endpoints.md). */
  multi_user?: boolean;
  /** A per-user endpoint: its multi-user endpoint. */
  parent_endpoint_id?: string | null;
}

/** A multi-user endpoint's per-user endpoint, as its status lists it. */
export interface UserEndpointStatus {
  endpoint_id: string;
  identity: string;
  user_config_key?: string;
  status: 'online' | 'offline';
  last_heartbeat_at: string | null;
  last_error: string | null;
}

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

/** schemas/endpoint-status.json */
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

/** schemas/task-wait-response.json */
export interface TaskWaitResponse {
  done: Record<string, TaskRecord>;
  pending: string[];
  not_found: string[];
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
export interface TaskSummary {
  task_id: string;
  status: TaskStatus;
  function_id: string;
  endpoint_id: string;
  task_group_id: string | null;
  created_at: string;
  completed_at: string | null;
  attempts: number;
  /** The submitting identity, as the service knows it. */
  owner?: string;
}

/** A page of tasks, newest first (schemas/task-list-response.json); pass next_cursor back for the next page (null: none). */
export interface TaskListPage {
  tasks: TaskSummary[];
  next_cursor: string | null;
}

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
export interface TaskGroupCancelled {
  task_group_id: string;
  cancelled: string[];
  not_cancelled: { task_id: string; status: TaskStatus }[];
}
