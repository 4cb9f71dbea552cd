/**
 * `Client`: every call a user makes to the service, in the terms of funcX's
 * FuncXClient (registerFunction, run, getResult, batches, search, endpoint
 * status). Configuration: see config.ts.
 */
import { randomUUID } from 'node:crypto';
import { Batch, type BatchTask } from './batch.js';
import { resolveConfig, type ClientConfig, type ClientConfigOptions } from './config.js';
import { ErrorCode } from '@funcx-ts/shared/errors.js';
import { InvalidArgument, SdkVersionTooOld, ServiceError, TaskNotFound } from './errors.js';
import { taskListQuery } from './taskListing.js';
import { functionDefinition, type Registrable } from './functionSource.js';
import { DEFAULT_RETRY, HttpTransport, type RetryPolicy } from './http.js';
import { EndpointList, FunctionSearchResults } from './resultLists.js';
import { StoredLogin } from './storedLogin.js';
import { followTaskOutput, readTaskOutput, type OutputOptions, type TaskOutput } from './taskOutput.js';
import { sdkConnections } from './transport/sdkConnections.js';
import { versionProblem } from './transport/versionCompat.js';
import { packageVersion } from './version.js';
import { decodeResult, encodePayload, outcomeOf } from './serialization.js';
import type {
  BatchResultEntry, EndpointStatus, FunctionRecord, ResourceSpecification, TaskGroupCancelled, TaskListOptions, TaskListPage, TaskRecord, TaskWaitResponse,
} from './types.js';
import { userRuntime } from './userRuntime.js';

export interface ClientOptions extends ClientConfigOptions {
  retry?: Partial<RetryPolicy>;
}

export interface RegisterOptions {
  description?: string;
  /** Anyone may run it. */
  public?: boolean;
  /** Others may find it with searchFunction. */
  searchable?: boolean;
  /** Members of this group (or these groups) may run it. */
  group?: string | string[];
  /** Overrides the name taken from the function. */
  name?: string;
  metadata?: Record<string, unknown>;
  /** Its tasks run in a container of this image, on endpoints that run containers (as Globus Compute's container ids). */
  containerImage?: string;
}

export interface RunOptions {
  functionId: string;
  /** Default: the configured endpoint (FUNCX_ENDPOINT_ID, or quickstart.json's). */
  endpointId?: string;
  kwargs?: Record<string, unknown>;
  /** Nodes and MPI ranks (required for an MPIFunction). */
  resourceSpecification?: ResourceSpecification;
  /** On a multi-user endpoint: the settings of your per-user endpoint, as its administrator allows (docs/multi-user-endpoints.md). */
  userEndpointConfig?: Record<string, unknown>;
}

export interface CallOptions extends RunOptions {
  /** Seconds the whole call may take (default: as long as it takes); past them it throws TaskPending naming the task. */
  timeoutS?: number;
}

export interface WaitOptions {
  /** Seconds the service holds the request open (0-60, default 30). */
  timeoutS?: number;
  returnWhen?: 'ALL_COMPLETED' | 'FIRST_COMPLETED';
  signal?: AbortSignal;
}

/** The service takes up to 1000 ids per status or wait request. */
export const IDS_PER_REQUEST = 1000;
/** Tasks per submit request: a service's FUNCX_MAX_BATCH_TASKS is 5000 by default; 1000 leaves room (and keeps bodies small). */
export const SUBMIT_CHUNK = 1000;
/**
 * Finished task records a waitForTasks brought back, kept so that getTask/getResult need no request of
 * their own (a finished record never changes): run, waitForTasks, getResult is two requests. The oldest
 * are forgotten beyond this many.
 */
const REMEMBERED_FINISHED = 256;
/** The longest one request of call() holds: under the service's limit (60 s), and short enough for proxies that cut idle connections. */
export const CALL_WAIT_S = 30;

export class Client {
  readonly config: ClientConfig;
  readonly http: HttpTransport;
  private readonly finished = new Map<string, TaskRecord>();

  constructor(options: ClientOptions = {}) {
    this.config = resolveConfig(options);
    // A token from an OpenID Connect login in credentials.json is renewed as it expires; one given by argument or FUNCX_TOKEN is used as is.
    const stored = this.config.storedLogin;
    // The site's proxy (HTTPS_PROXY/NO_PROXY or `proxy`) and CAs, for the service and for renewing a login at the provider.
    const connections = sdkConnections({ env: options.env, proxy: options.proxy, caFile: options.caFile });
    const token = stored ? new StoredLogin(stored.file, stored.credentials, Date.now, connections.fetch) : this.config.token;
    this.http = new HttpTransport(this.config.serviceUrl, token, { ...DEFAULT_RETRY, ...options.retry }, { connections });
  }

  /**
   * The service's GET /v2/version, checked against this SDK: a service that no longer serves this
   * version (its min_sdk_version is newer) is SdkVersionTooOld, naming both versions. Read leniently:
   * a field another release lacks or shapes differently is not an error.
   */
  async checkVersion(): Promise<Record<string, unknown>> {
    const body = await this.http.request<unknown>('GET', '/v2/version', { idempotent: true });
    const problem = versionProblem(body, 'sdk', packageVersion(), 'npm install funcx-ts@latest');
    if (problem) throw new SdkVersionTooOld(problem);
    return typeof body === 'object' && body !== null ? body as Record<string, unknown> : {};
  }

  /** Registers a function (see functionSource.ts for what may be registered); returns its id. */
  async registerFunction(fn: Registrable, options: RegisterOptions = {}): Promise<string> {
    const definition = functionDefinition(fn);
    const groups = options.group === undefined ? undefined : [options.group].flat();
    const body = {
      ...definition,
      name: options.name ?? definition.name,
      description: options.description,
      public: options.public,
      searchable: options.searchable,
      group_ids: groups,
      metadata: { sdk: 'funcx-ts', ...options.metadata },
      ...(options.containerImage !== undefined ? { container_image: options.containerImage } : {}),
    };
    // Not retried: a retry after a lost answer would register the function twice.
    const answer = await this.http.request<{ function_uuid: string }>('POST', '/v3/functions', { body });
    return answer.function_uuid;
  }

  getFunction(functionId: string): Promise<FunctionRecord> {
    return this.http.request('GET', `/v3/functions/${functionId}`, { idempotent: true });
  }

  async deleteFunction(functionId: string): Promise<void> {
    await this.http.request('DELETE', `/v3/functions/${functionId}`);
  }

  /** Functions whose name, description, owner or source contain `q` (yours, and others' searchable ones you may run). */
  async searchFunction(q = '', options: { offset?: number; limit?: number } = {}): Promise<FunctionSearchResults> {
    const page = await this.http.request<Parameters<typeof FunctionSearchResults.fromPage>[0]>('GET', '/v3/functions', {
      searchParams: { q, offset: options.offset, limit: options.limit },
      idempotent: true,
    });
    return FunctionSearchResults.fromPage(page);
  }

  /** Runs a function once: `run(x, y, {functionId, endpointId, kwargs})`; returns the task id. */
  async run(...argsAndOptions: [...args: unknown[], options: RunOptions]): Promise<string> {
    return (await this.submitOne('run', argsAndOptions, 0)).taskId;
  }

  /**
   * Runs a function once and answers what it returned (re-throws its RemoteException):
   * `await fxc.call(x, y, {functionId})`. One request for a task that finishes within CALL_WAIT_S:
   * the service holds the submit's answer until the task is done (as AWS Lambda's RequestResponse
   * invocation does); a longer task is then waited for with waitForTasks. `timeoutS` bounds the
   * whole call (default: as long as it takes); past it, TaskPending is thrown with the task's id,
   * whose result getResult collects later.
   */
  async call(...argsAndOptions: [...args: unknown[], options: CallOptions]): Promise<unknown> {
    const options = argsAndOptions.at(-1) as CallOptions | undefined;
    const deadline = options?.timeoutS === undefined ? undefined : Date.now() + Math.max(0, options.timeoutS) * 1000;
    const secondsLeft = () => (deadline === undefined ? CALL_WAIT_S : Math.max(0, (deadline - Date.now()) / 1000));
    const { taskId, wait } = await this.submitOne('call', argsAndOptions, Math.min(CALL_WAIT_S, secondsLeft()));
    let record = wait?.done[taskId];
    while (!record) {
      const left = secondsLeft();
      if (left <= 0) return outcomeOf(await this.getTask(taskId)); // throws TaskPending with the task's id and state
      const answer = await this.waitForTasks([taskId], { timeoutS: Math.min(CALL_WAIT_S, left) });
      if (answer.not_found.length > 0) throw new TaskNotFound(404, { code: ErrorCode.TaskNotFound, reason: `task ${taskId} not found`, details: { not_found: answer.not_found } });
      record = answer.done[taskId];
    }
    return outcomeOf(record);
  }

  /** One task submitted: its id, and with `waitS` > 0 the answer's wait (its record once done). */
  private async submitOne(method: 'run' | 'call', argsAndOptions: unknown[], waitS: number): Promise<{ taskId: string; wait?: TaskWaitResponse }> {
    const options = argsAndOptions.at(-1) as RunOptions | undefined;
    if (!options || typeof options !== 'object' || typeof options.functionId !== 'string') {
      throw new InvalidArgument(`${method}(...args, {functionId, endpointId?, kwargs?}): the last argument names the function`);
    }
    const endpointId = this.endpointOrDefault(options.endpointId);
    const payload = encodePayload(argsAndOptions.slice(0, -1), options.kwargs);
    const answer = await this.http.request<{ tasks: Record<string, string[]>; wait?: TaskWaitResponse }>('POST', `/v3/endpoints/${endpointId}/submit`, {
      body: {
        serializer: 'json',
        user_runtime: userRuntime(),
        tasks: { [options.functionId]: [payload] },
        ...(options.resourceSpecification ? { resource_specification: options.resourceSpecification } : {}),
        ...(options.userEndpointConfig ? { user_endpoint_config: options.userEndpointConfig } : {}),
        ...(waitS > 0 ? { wait_s: waitS } : {}),
      },
      headers: { 'idempotency-key': randomUUID() },
      idempotent: true, // the Idempotency-Key makes a replay create nothing new
      ...(waitS > 0 ? { timeoutMs: (waitS + 30) * 1000 } : {}), // the service holds it up to wait_s; a margin for a slow answer
    });
    return { taskId: answer.tasks[options.functionId.toLowerCase()][0], wait: answer.wait };
  }

  /** The task's record; one a waitForTasks of this client saw finish comes from that wait's answer, without a request. */
  getTask(taskId: string): Promise<TaskRecord> {
    const seen = this.finished.get(taskId.toLowerCase());
    if (seen) return Promise.resolve({ ...seen });
    return this.http.request('GET', `/v2/tasks/${taskId}`, { idempotent: true });
  }

  /** The task's return value; throws TaskPending while it runs, and re-throws its RemoteException if it failed. */
  async getResult(taskId: string): Promise<unknown> {
    return outcomeOf(await this.getTask(taskId));
  }

  /** A Batch to fill with `batch.add(...)` and send with `batchRun`. */
  createBatch(options: { endpointId?: string } = {}): Batch {
    return new Batch(options.endpointId ?? this.config.endpointId);
  }

  /** Sends every invocation of the batch (submitTasks, one new task group); returns the task ids, in the order they were added. */
  async batchRun(batch: Batch): Promise<string[]> {
    if (batch.length === 0) throw new InvalidArgument('batchRun: the batch is empty');
    return this.submitTasks(batch.tasks, { taskGroupId: randomUUID() });
  }

  /**
   * The SDK's one `POST /v3/submit` (batchRun and the Executor both send through it). Tasks go in
   * requests of SUBMIT_CHUNK (under the service's FUNCX_MAX_BATCH_TASKS) that all join `taskGroupId`;
   * each request has its own Idempotency-Key, so a retried request runs nothing twice. Returns the
   * task ids in the order of `tasks`. A caller that must know which tasks a failed request carried
   * (the Executor) gives at most SUBMIT_CHUNK at a time.
   */
  async submitTasks(tasks: readonly BatchTask[], options: { taskGroupId: string }): Promise<string[]> {
    const taskIds: string[] = [];
    for (let start = 0; start < tasks.length; start += SUBMIT_CHUNK) {
      const answer = await this.http.request<{ tasks: { task_id: string }[] }>('POST', '/v3/submit', {
        body: { task_group_id: options.taskGroupId, user_runtime: userRuntime(), tasks: tasks.slice(start, start + SUBMIT_CHUNK) },
        headers: { 'idempotency-key': randomUUID() },
        idempotent: true, // the Idempotency-Key makes a replay create nothing new
      });
      taskIds.push(...answer.tasks.map((task) => task.task_id));
    }
    return taskIds;
  }

  /**
   * Status and, once finished, the decoded result or the exception of each task, keyed by task id.
   * Throws TaskNotFound naming every id the service does not know (purged, or not yours), as the
   * Python client does: a missing entry is never silently left out.
   */
  async getBatchResult(taskIds: string[]): Promise<Record<string, BatchResultEntry>> {
    const records = await this.getTasks(taskIds);
    const missing = taskIds.filter((id) => !(id in records) && !(id.toLowerCase() in records));
    if (missing.length > 0) {
      throw new TaskNotFound(404, { code: ErrorCode.TaskNotFound, reason: `tasks not found (purged, or not yours): ${missing.join(', ')}`, details: { not_found: missing } });
    }
    const entries: Record<string, BatchResultEntry> = {};
    for (const task of Object.values(records)) {
      const entry: BatchResultEntry = { status: task.status, pending: task.pending, completion_t: task.completion_t };
      if (task.status === 'success') entry.result = decodeResult(task);
      if (task.exception) entry.exception = task.exception;
      entries[task.task_id] = entry;
    }
    return entries;
  }

  /** Task records by id (POST /v2/batch_status, in chunks); ids unknown to the service are left out. */
  async getTasks(taskIds: string[]): Promise<Record<string, TaskRecord>> {
    const records: Record<string, TaskRecord> = {};
    for (let i = 0; i < taskIds.length; i += IDS_PER_REQUEST) {
      const answer = await this.http.request<{ results: Record<string, TaskRecord> }>('POST', '/v2/batch_status', {
        body: { task_ids: taskIds.slice(i, i + IDS_PER_REQUEST) },
        idempotent: true,
      });
      Object.assign(records, answer.results);
    }
    return records;
  }

  /** One long-poll (POST /v3/tasks/wait) for up to 1000 tasks: answers when they are done, or after `timeoutS`. */
  async waitForTasks(taskIds: string[], options: WaitOptions = {}): Promise<TaskWaitResponse> {
    const answer = await this.waitOnce(taskIds, options);
    for (const [taskId, record] of Object.entries(answer.done)) {
      this.finished.delete(taskId.toLowerCase());
      this.finished.set(taskId.toLowerCase(), record);
    }
    for (const oldest of this.finished.keys()) {
      if (this.finished.size <= REMEMBERED_FINISHED) break;
      this.finished.delete(oldest);
    }
    return answer;
  }

  /** The wait itself, remembering nothing: the Executor hands each result to its future instead. */
  waitOnce(taskIds: string[], options: WaitOptions = {}): Promise<TaskWaitResponse> {
    if (taskIds.length === 0 || taskIds.length > IDS_PER_REQUEST) throw new InvalidArgument(`waitForTasks takes 1 to ${IDS_PER_REQUEST} task ids`);
    const timeoutS = options.timeoutS ?? 30;
    return this.http.request('POST', '/v3/tasks/wait', {
      body: { task_ids: taskIds, timeout_s: timeoutS, return_when: options.returnWhen ?? 'ALL_COMPLETED' },
      idempotent: true,
      timeoutMs: (timeoutS + 30) * 1000, // the service holds it up to timeout_s; a margin for a slow answer
      signal: options.signal,
    });
  }

  /** What the task printed (stdout and stderr together) from `offset`; waits up to `waitS` for more when there is none yet. */
  getTaskOutput(taskId: string, options: OutputOptions = {}): Promise<TaskOutput> {
    return readTaskOutput(this.http, taskId, options);
  }

  /**
   * Follows a task's output as it runs: `for await (const piece of fxc.followOutput(id)) process.stdout.write(piece.text)`.
   * Ends when the task has finished and all its output is delivered.
   */
  followOutput(taskId: string, options: OutputOptions = {}): AsyncGenerator<TaskOutput & { skipped: number }> {
    return followTaskOutput(this.http, taskId, options);
  }

  /** Cancels a task that has not finished; answers its record (now `cancelled`). */
  cancelTask(taskId: string): Promise<TaskRecord> {
    return this.http.request('POST', `/v3/tasks/${taskId}/cancel`);
  }

  /**
   * Cancels several tasks, one request each: the records of those cancelled, and for each one not
   * cancelled the service's error (TaskAlreadyFinished with its state, TaskNotFound).
   */
  async cancelTasks(taskIds: string[]): Promise<{ cancelled: TaskRecord[]; notCancelled: { taskId: string; error: ServiceError }[] }> {
    const cancelled: TaskRecord[] = [];
    const notCancelled: { taskId: string; error: ServiceError }[] = [];
    for (const taskId of taskIds) {
      try {
        cancelled.push(await this.cancelTask(taskId));
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        notCancelled.push({ taskId, error });
      }
    }
    return { cancelled, notCancelled };
  }

  /** Cancels every unfinished task of a task group; lists those that had finished, with their state. */
  cancelTaskGroup(taskGroupId: string): Promise<TaskGroupCancelled> {
    return this.http.request('POST', `/v3/task_groups/${taskGroupId}/cancel`);
  }

  /** Your tasks, newest first, one page (GET /v3/tasks); pass `next_cursor` back as `cursor` for the next. */
  listTasks(options: TaskListOptions = {}): Promise<TaskListPage> {
    return this.http.request('GET', '/v3/tasks', { searchParams: taskListQuery(options), idempotent: true });
  }

  /** What is queued and running on your endpoint, from every user (its owner only); no payloads or results. */
  listEndpointTasks(endpointId: string, options: TaskListOptions = {}): Promise<TaskListPage> {
    return this.http.request('GET', `/v3/endpoints/${endpointId}/tasks`, { searchParams: taskListQuery(options), idempotent: true });
  }

  /**
   * Online or offline, workers, queued tasks, and `logs`: recent heartbeats, newest first. An endpoint
   * that never reported gets one entry made from the current totals (timestamp null), as the Python
   * client does, so `status.logs[0].total_workers` (the tutorial's line) always works.
   */
  async getEndpointStatus(endpointId: string): Promise<EndpointStatus> {
    const status = await this.http.request<EndpointStatus>('GET', `/v2/endpoints/${endpointId}/status`, { idempotent: true });
    if (!status.logs || status.logs.length === 0) {
      status.logs = [{
        timestamp: status.last_heartbeat_at ?? null,
        total_workers: status.total_workers ?? 0,
        idle_workers: status.idle_workers ?? 0,
        outstanding_tasks: status.outstanding_tasks ?? 0,
        pending_tasks: status.pending_tasks ?? 0,
      }];
    }
    return status;
  }

  /** Your endpoints (role 'owner'), or also those shared with you or public (role 'any'). Prints as a table. */
  async listEndpoints(options: { role?: 'owner' | 'any' } = {}): Promise<EndpointList> {
    const answer = await this.http.request<{ endpoints: Parameters<typeof EndpointList.fromList>[0] }>('GET', '/v3/endpoints', {
      searchParams: { role: options.role },
      idempotent: true,
    });
    return EndpointList.fromList(answer.endpoints);
  }

  /** The endpoint to use when a call names none. */
  endpointOrDefault(endpointId: string | undefined): string {
    const id = endpointId ?? this.config.endpointId;
    if (!id) throw new InvalidArgument('no endpointId given, and none configured (FUNCX_ENDPOINT_ID or quickstart.json endpoint_id)');
    return id;
  }
}
