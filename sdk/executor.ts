/**
 * `Executor`: submit calls, get futures, as Python's concurrent.futures (and
 * funcX's FuncXExecutor) do.
 *
 * - Each distinct function is registered once (cached by its definition).
 * - Submissions made in the same tick (or within `batchWindowMs`) leave in one
 *   POST /v3/submit (Client.submitTasks: an Idempotency-Key per request, so a retried submit creates nothing twice).
 * - One waiter loop long-polls POST /v3/tasks/wait for every pending future
 *   (FIRST_COMPLETED, so each result arrives as soon as it is in); when new
 *   tasks join, the current poll is abandoned and restarted with them.
 * - `shutdown({wait, cancelFutures})`, and `await using` (Symbol.asyncDispose).
 * - Every task joins the executor's task group (`taskGroupId`, new unless given):
 *   a later process makes an Executor with the same id and `reloadTasks()`
 *   reattaches, getting a future for each task of the group.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@funcx-ts/shared/errors.js';
import { Client, IDS_PER_REQUEST, SUBMIT_CHUNK, type ClientOptions } from './client.js';
import { backoffDelay } from './backoff.js';
import { asyncDispose } from './disposable.js';
import { ExecutorShutDown, FutureCancelled, InvalidArgument, ServiceError, ServiceUnreachable, TaskAlreadyFinished, TaskNotFound } from './errors.js';
import { definitionKey, functionDefinition, type FunctionDefinition, type Registrable } from './functionSource.js';
import { encodePayload, outcomeOf } from './serialization.js';
import { ShellFunction } from './shellFunction.js';
import { sleep } from './sleep.js';
import { TaskFuture } from './taskFuture.js';
import type { ResourceSpecification } from './types.js';

export interface ExecutorOptions extends ClientOptions {
  /** Default: the client's configured endpoint. */
  endpointId?: string;
  /** Reuse a Client (else one is made from the options). */
  client?: Client;
  /** On a multi-user endpoint: the settings of your per-user endpoint, sent with every task (docs/multi-user-endpoints.md). */
  userEndpointConfig?: Record<string, unknown>;
  /** How long a submission waits for others to join its batch (default 0: the same tick). */
  batchWindowMs?: number;
  /** Nodes and MPI ranks for the tasks submitted (as Globus Compute's Executor.resource_specification); settable later. */
  resourceSpecification?: ResourceSpecification;
  /** Seconds each long-poll is held open by the service (default 20). */
  waitTimeoutS?: number;
  /**
   * While the service is unreachable or answers 429/5xx (after the transport's own retries), the
   * waiter keeps every future pending and tries again after a backoff with jitter: `initialMs`
   * (default 1 s), doubling up to `maxMs` (default 30 s). Tasks are durable on the service, so
   * their results are there once it is back.
   */
  outageBackoff?: { initialMs?: number; maxMs?: number };
  /** Told of each transient failure of the waiter (default: one process warning per outage). */
  onTransientError?: (error: unknown, retryInMs: number) => void;
  /** The task group every submitted task joins (default: a new one). Give an earlier executor's to reattach with reloadTasks(). */
  taskGroupId?: string;
}

/** A function already registered: run it by id. */
export interface RegisteredFunction {
  functionId: string;
}

interface Queued {
  future: TaskFuture;
  /** A function id, or what to register (checked when submitted, so a bad function throws at submit). */
  target: RegisteredFunction | { fn: Registrable; definition: FunctionDefinition };
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** The executor's resourceSpecification when the call was submitted. */
  resourceSpecification: ResourceSpecification | undefined;
}

/** Tasks per GET /v2/taskgroup page when reattaching. */
const GROUP_PAGE = 10_000;

export class Executor {
  readonly client: Client;
  readonly endpointId: string;
  /** The task group of every task this executor submits (save it to reattach later). */
  readonly taskGroupId: string;
  /** Applies to calls submitted from now on (MPIFunction calls need one). */
  resourceSpecification: ResourceSpecification | undefined;
  private readonly batchWindowMs: number;
  private readonly userEndpointConfig?: Record<string, unknown>;
  private readonly waitTimeoutS: number;
  private readonly outageBackoff: { initialMs: number; maxMs: number };
  private readonly onTransientError?: (error: unknown, retryInMs: number) => void;
  /** Consecutive transient failures of the waiter (0 while the service answers). */
  private outageFailures = 0;
  private backingOff = false;
  private readonly registrations = new Map<string, Promise<string>>();
  private queue: Queued[] = [];
  private flushTimer?: NodeJS.Timeout;
  /** Futures submitted and not yet finished, by task id. */
  private readonly waiting = new Map<string, TaskFuture>();
  /** Every future not yet settled. */
  private readonly live = new Set<TaskFuture>();
  private waiter?: Promise<void>;
  private currentWait?: { ids: Set<string>; abort: AbortController };
  private closed = false;

  constructor(options: ExecutorOptions = {}) {
    this.client = options.client ?? new Client(options);
    this.endpointId = this.client.endpointOrDefault(options.endpointId);
    this.batchWindowMs = options.batchWindowMs ?? 0;
    this.resourceSpecification = options.resourceSpecification;
    this.userEndpointConfig = options.userEndpointConfig;
    this.waitTimeoutS = options.waitTimeoutS ?? 20;
    this.outageBackoff = { initialMs: options.outageBackoff?.initialMs ?? 1000, maxMs: options.outageBackoff?.maxMs ?? 30_000 };
    this.onTransientError = options.onTransientError;
    this.taskGroupId = (options.taskGroupId ?? randomUUID()).toLowerCase();
  }

  /** Runs `fn(...args)` on the endpoint; the future resolves with its result or rejects with its RemoteException. */
  submit<T = unknown>(fn: Registrable | RegisteredFunction, ...args: unknown[]): TaskFuture<T> {
    return this.submitWithKwargs<T>(fn, args, {});
  }

  /** As submit, with keyword arguments (Python functions take them by name; JavaScript ones as one last object). */
  submitWithKwargs<T = unknown>(fn: Registrable | RegisteredFunction, args: unknown[], kwargs: Record<string, unknown>): TaskFuture<T> {
    if (this.closed) throw new ExecutorShutDown('the executor is shut down: no new submissions');
    const target = isRegistered(fn) ? fn : { fn, definition: functionDefinition(fn) };
    // Held untyped inside; the caller's T is only a promise about what the function returns.
    const future = new TaskFuture<unknown>((f) => this.cancel(f));
    this.live.add(future);
    void future.then(() => this.live.delete(future), () => this.live.delete(future));
    this.queue.push({ future, target, args, kwargs, resourceSpecification: this.resourceSpecification });
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.batchWindowMs);
    }
    return future as TaskFuture<T>;
  }

  /** `fn` applied to each tuple of the iterables (zipped, like Python's map): the results, in order. */
  map<T = unknown>(fn: Registrable | RegisteredFunction, ...iterables: Iterable<unknown>[]): Promise<T[]> {
    if (iterables.length === 0) throw new InvalidArgument('map needs at least one iterable of arguments');
    const columns = iterables.map((iterable) => [...iterable]);
    const count = Math.min(...columns.map((column) => column.length));
    const futures = Array.from({ length: count }, (_, i) => this.submit<T>(fn, ...columns.map((column) => column[i])));
    return Promise.all(futures);
  }

  /**
   * Stops new submissions. `cancelFutures`: cancels every unfinished task (queued ones never leave,
   * pending ones are cancelled on the service); their futures reject with FutureCancelled.
   * `wait` (default true): resolves once every future has settled.
   */
  async shutdown(options: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (options.cancelFutures) {
      await Promise.all([...this.live].map((future) => future.cancel().catch(() => false)));
    } else if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      void this.flush();
    }
    if (options.wait ?? true) await Promise.allSettled([...this.live]);
  }

  /**
   * Reattaches to this executor's task group (as Globus Compute's Executor.reload_tasks): a future for
   * every task in it, in submission order; finished ones are settled at once, the others when their
   * tasks finish. A task this executor already tracks keeps its future. For a client that died
   * mid-run: `new Executor({ taskGroupId })` in the next process, then `reloadTasks()`.
   */
  async reloadTasks<T = unknown>(): Promise<TaskFuture<T>[]> {
    if (this.closed) throw new ExecutorShutDown('the executor is shut down: nothing to reattach to');
    const taskIds: string[] = [];
    for (let offset = 0; ; offset += GROUP_PAGE) {
      const page = await this.client.http.request<{ total: number; tasks: { id: string }[] }>(
        'GET', `/v2/taskgroup/${this.taskGroupId}?offset=${offset}&limit=${GROUP_PAGE}`, { idempotent: true });
      taskIds.push(...page.tasks.map((task) => task.id));
      if (page.tasks.length < GROUP_PAGE) break;
    }
    const records = await this.client.getTasks(taskIds.filter((id) => !this.waiting.has(id)));
    const futures = taskIds.map((id) => {
      const known = this.waiting.get(id);
      if (known) return known;
      const future = new TaskFuture<unknown>((f) => this.cancel(f));
      future.markSubmitted(id);
      const record = records[id];
      if (!record) {
        future.settle({ error: new TaskNotFound(404, { code: ErrorCode.TaskNotFound, reason: `task ${id} is unknown to the service (purged, or not yours)` }) });
      } else if (record.pending) {
        this.live.add(future);
        void future.then(() => this.live.delete(future), () => this.live.delete(future));
        this.waiting.set(id, future);
      } else {
        try {
          future.settle({ value: outcomeOf(record) });
        } catch (error) {
          future.settle({ error });
        }
      }
      return future;
    });
    if (this.waiting.size > 0) this.wakeWaiter();
    return futures as TaskFuture<T>[];
  }

  async [asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true });
  }

  /** Submits everything queued so far: registrations first (once per definition), then one request per endpoint batch. */
  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const prepared = await Promise.all(batch.map(async (item) => {
      try {
        return { item, functionId: await this.functionIdOf(item.target) };
      } catch (error) {
        item.future.settle({ error });
        return undefined;
      }
    }));
    // In submission order; without those whose registration failed or that were cancelled meanwhile.
    const toSend = prepared.filter((entry) => entry !== undefined && !entry.item.future.done) as { item: Queued; functionId: string }[];
    // One request per chunk, so a failed request fails only the futures it carried.
    for (let i = 0; i < toSend.length; i += SUBMIT_CHUNK) {
      const chunk = toSend.slice(i, i + SUBMIT_CHUNK);
      try {
        const taskIds = await this.client.submitTasks(
          chunk.map(({ item, functionId }) => ({
            endpoint_id: this.endpointId,
            function_id: functionId,
            payload: encodePayload(item.args, item.kwargs),
            serializer: 'json',
            ...(item.resourceSpecification ? { resource_specification: item.resourceSpecification } : {}),
            ...(this.userEndpointConfig ? { user_endpoint_config: this.userEndpointConfig } : {}),
          })),
          { taskGroupId: this.taskGroupId },
        );
        taskIds.forEach((task_id, index) => {
          const future = chunk[index].item.future;
          future.markSubmitted(task_id);
          this.waiting.set(task_id, future);
        });
        this.wakeWaiter();
      } catch (error) {
        for (const { item } of chunk) item.future.settle({ error });
      }
    }
  }

  private functionIdOf(target: Queued['target']): Promise<string> {
    if (isRegistered(target)) return Promise.resolve(target.functionId);
    const key = definitionKey(target.definition);
    let registration = this.registrations.get(key);
    if (!registration) {
      registration = this.client.registerFunction(target.fn);
      // A failed registration is not cached: the next submit tries again.
      registration.catch(() => this.registrations.delete(key));
      this.registrations.set(key, registration);
    }
    return registration;
  }

  /** Starts the waiter loop, or makes the running one include tasks it is not waiting for yet. */
  private wakeWaiter(): void {
    if (!this.waiter) {
      this.waiter = this.waitLoop().finally(() => {
        this.waiter = undefined;
        if (this.waiting.size > 0) this.wakeWaiter(); // tasks added as the loop ended
      });
      return;
    }
    const current = this.currentWait;
    // Backing off from an outage: new tasks join the next try; they do not cut the wait short.
    if (current && !this.backingOff && current.ids.size < IDS_PER_REQUEST && [...this.waiting.keys()].some((id) => !current.ids.has(id))) {
      current.abort.abort();
    }
  }

  private async waitLoop(): Promise<void> {
    while (this.waiting.size > 0) {
      const ids = [...this.waiting.keys()].slice(0, IDS_PER_REQUEST);
      const abort = new AbortController();
      this.currentWait = { ids: new Set(ids), abort };
      let answer;
      try {
        answer = await this.client.waitOnce(ids, { timeoutS: this.waitTimeoutS, returnWhen: 'FIRST_COMPLETED', signal: abort.signal });
      } catch (error) {
        if (abort.signal.aborted) {
          this.currentWait = undefined;
          continue; // new tasks joined (ask again with them), or none are left
        }
        if (isTransient(error)) {
          // An outage (or an overloaded service) outlasted the transport's retries. The tasks are
          // durable on the service: keep the futures pending and ask again later, for as long as it takes.
          await this.backOffAfter(error, abort.signal);
        } else {
          // A permanent refusal (401, 403, 404...): these futures cannot learn their results.
          for (const id of ids) this.finish(id, { error });
        }
        this.currentWait = undefined;
        continue;
      }
      this.currentWait = undefined;
      if (this.outageFailures > 0) {
        this.outageFailures = 0;
        this.report(undefined, 0);
      }
      for (const [id, record] of Object.entries(answer.done)) {
        let outcome: { value: unknown } | { error: unknown };
        try {
          // Cancelled elsewhere (another program, `funcx task cancel`): the future is cancelled, as if by cancel().
          if (record.status === 'cancelled') throw new FutureCancelled(`task ${id} was cancelled`);
          outcome = { value: outcomeOf(record) };
        } catch (error) {
          outcome = { error };
        }
        this.finish(id, outcome);
      }
      for (const id of answer.not_found) {
        this.finish(id, { error: new TaskNotFound(404, { code: ErrorCode.TaskNotFound, reason: `task ${id} is unknown to the service (purged, or not yours)` }) });
      }
    }
  }

  /** Waits out one step of the outage backoff (capped, with jitter); ends early if the wait is aborted (a cancel). */
  private async backOffAfter(error: unknown, signal: AbortSignal): Promise<void> {
    // Jitter: many clients back from an outage do not arrive together.
    const delay = backoffDelay(this.outageFailures, this.outageBackoff);
    this.outageFailures += 1;
    this.report(error, delay);
    this.backingOff = true;
    await sleep(delay, signal);
    this.backingOff = false;
  }

  private report(error: unknown, retryInMs: number): void {
    if (this.onTransientError) {
      if (error !== undefined) this.onTransientError(error, retryInMs);
      return;
    }
    if (error !== undefined && this.outageFailures === 1) {
      process.emitWarning(`funcx Executor: cannot reach the service (${(error as Error).message}); the ${this.waiting.size} pending future(s) stay pending and it keeps trying`, 'FuncxServiceUnreachable');
    } else if (error === undefined) {
      process.emitWarning('funcx Executor: the service answers again; waiting for results resumed', 'FuncxServiceUnreachable');
    }
  }

  private finish(taskId: string, outcome: { value: unknown } | { error: unknown }): void {
    const future = this.waiting.get(taskId);
    this.waiting.delete(taskId);
    future?.settle(outcome);
  }

  private async cancel(future: TaskFuture): Promise<boolean> {
    const queued = this.queue.findIndex((item) => item.future === future);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      future.settle({ error: new FutureCancelled('cancelled before it was submitted') });
      return true;
    }
    let taskId = future.taskId;
    if (!taskId) {
      // Being registered or submitted right now: cancel it once it has an id.
      try {
        taskId = await future.submitted;
      } catch {
        return false; // submission failed: the future already holds that error
      }
    }
    try {
      await this.client.cancelTask(taskId);
    } catch (error) {
      if (error instanceof TaskAlreadyFinished) return false; // the waiter delivers its result
      throw error;
    }
    this.waiting.delete(taskId);
    future.settle({ error: new FutureCancelled(`task ${taskId} was cancelled`) });
    // Nothing left to wait for: end the long-poll now rather than when the service times it out,
    // so a program that cancelled everything can exit at once.
    if (this.waiting.size === 0) this.currentWait?.abort.abort();
    return true;
  }
}

/** A failure that passes: the service unreachable, overloaded (429) or failing on its side (5xx). */
function isTransient(error: unknown): boolean {
  return error instanceof ServiceUnreachable || (error instanceof ServiceError && (error.status === 429 || error.status >= 500));
}

function isRegistered(fn: unknown): fn is RegisteredFunction {
  return typeof fn === 'object' && fn !== null && !(fn instanceof ShellFunction) && typeof (fn as RegisteredFunction).functionId === 'string';
}
