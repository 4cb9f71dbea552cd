/**
 * Running held tasks: each leased task is queued (at most max_workers run at once, unless the
 * executor queues tasks itself: blocks), started on the executor when its turn comes, and
 * settled when it leaves the queue or its worker: its result goes to the result flusher, or its
 * lease goes back, or (dropped) it is only forgotten.
 *
 * With audit_log_path, every task event is recorded first (auditLog.ts): a task whose event
 * cannot be recorded never starts, and goes back to the service to run once the log works.
 */
import PQueue from 'p-queue';
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import type { AuditLog, AuditState } from '../auditLog.js';
import type { EndpointSettings } from '../config.js';
import type { Executor, RemoteException, TaskOutcome, TaskToRun } from '../execution.js';
import type { OutputShipper } from '../outputShipper.js';
import type { PrefetchTuner } from '../prefetch.js';
import type { HandBacks } from './handBacks.js';
import type { HeldTask, HeldTasks, LeasedFunction, LeasedTask } from './heldTasks.js';
import type { HoardCheck } from './hoardCheck.js';
import type { ResultFlusher } from './resultFlusher.js';
import { toPosted, withinSizeLimit } from './resultShaping.js';

export interface TaskRunnerDeps {
  executor: Executor;
  settings: EndpointSettings;
  audit?: AuditLog;
  held: HeldTasks;
  handBacks: HandBacks;
  results: ResultFlusher;
  hoardCheck: HoardCheck;
  /** Where running tasks' output goes (outputShipper.ts). */
  liveOutput: OutputShipper;
  tuner: PrefetchTuner;
  /** Aborted when the agent stops leasing: a task not started by then goes back. */
  leasing: AbortSignal;
  log: Logger;
  /** A task was leased, or left the queue or its worker (idle_shutdown_after; the cancel watch). */
  busy: (heldChanged: boolean) => void;
  /** Room may have freed: the lease loop looks again. */
  roomFreed: () => void;
}

export class TaskRunner {
  readonly #queue: PQueue;

  constructor(private readonly deps: TaskRunnerDeps) {
    // An executor that reports its own capacity (blocks) queues tasks itself.
    this.#queue = new PQueue({ concurrency: deps.executor.capacity ? Infinity : deps.settings.maxWorkers });
  }

  /** A task the lease loop brought: held, and queued to run. */
  accept(lease: LeasedTask, fn: LeasedFunction | undefined): void {
    const { held, log } = this.deps;
    const holding = held.hold(lease, fn, performance.now());
    if (!holding.held) {
      log.warn({ taskId: lease.task_id, attempt: lease.attempt }, 'the service sent a lease already held; ignored');
      return;
    }
    if (holding.superseded) {
      // The service re-leased a task we still hold (we stalled past its lease, and the lease loop
      // heard of the new attempt before a heartbeat said the old one was lost). The old attempt's
      // lease is gone: it is stopped, and its result never posted (a result of it already waiting in
      // the outbox is dropped by the flush loop; one already in flight is refused on its stale token).
      log.warn({ taskId: lease.task_id, attempt: holding.superseded.lease.attempt, newAttempt: lease.attempt }, 'task leased again: dropping the superseded attempt');
    }
    const task = holding.held;
    this.deps.busy(true);
    log.debug({ taskId: lease.task_id, attempt: lease.attempt }, 'task leased');
    if (!this.#audited(task, 'RECEIVED')) {
      this.deps.handBacks.handBack([task]); // never run unaudited
      return;
    }
    void this.#queue.add(() => this.#execute(task)).catch((error) => {
      log.error({ err: asError(error), taskId: lease.task_id }, 'task execution crashed');
    });
    if (task.phase === 'queued') this.deps.hoardCheck.schedule();
  }

  /** Stopping: tasks still in the queue will not start (they settle, and go back, as it reaches them). */
  clearQueue(): void {
    this.#queue.clear();
  }

  /** Resolves when no task runs or waits in the queue. */
  idle(): Promise<void> {
    return this.#queue.onIdle();
  }

  /** The audit log failed: tasks not started go back to the service (none may start unaudited). */
  handBackUnstarted(): void {
    const { held, handBacks, log, leasing } = this.deps;
    if (leasing.aborted) return;
    const queued = held.waitingToStart();
    for (const task of queued) held.givenBack(task);
    if (queued.length > 0) log.warn({ tasks: queued.length }, 'audit log unwritable: handing back tasks not started');
    handBacks.handBack(queued);
  }

  async #execute(task: HeldTask): Promise<void> {
    const { executor, held, log } = this.deps;
    if (task.signal.aborted || task.handBack || this.deps.leasing.aborted) {
      // Never started: a dropped task is forgotten, anything else is handed back.
      if (!task.dropped) held.markHandBack(task);
      return this.#settle(task);
    }
    held.started(task, performance.now());
    // No child logger per task (it showed in profiles); debug lines name the task themselves.
    const where = { taskId: task.lease.task_id, attempt: task.lease.attempt };
    let outcome: TaskOutcome;
    const refusal = this.#refusal(task);
    if (refusal) {
      outcome = { status: 'failed', exception: refusal };
      this.#audited(task, 'FAILED');
    } else if (!this.#audited(task, 'EXEC_START')) {
      held.markHandBack(task); // never run unaudited: back to the service, to run once the log works
      return this.#settle(task);
    } else {
      log.debug({ ...where, runtime: task.fn!.runtime }, 'task started');
      outcome = await executor.run(this.#toRun(task), task.signal);
      this.deps.tuner.taskFinished(performance.now() - task.startedAt);
      this.#audited(task, 'EXEC_END');
      await this.deps.liveOutput.finish(task.lease.task_id); // its last lines before its result
    }
    log.debug({ ...where, status: outcome.status }, 'task finished');
    this.#settle(task, outcome);
  }

  /** Why this endpoint will not run the task, or undefined when it will. */
  #refusal(task: HeldTask): RemoteException | undefined {
    const { settings } = this.deps;
    if (!task.fn) {
      return { type: 'FunctionNotFound', message: `the service sent no function ${task.lease.function_id}` };
    }
    if (settings.allowedFunctions.length > 0 && !settings.allowedFunctions.includes(task.lease.function_id)) {
      // The service checked at submit; the endpoint's own config is the last word.
      return { type: 'FunctionNotPermitted', message: `endpoint ${settings.name} does not allow function ${task.lease.function_id}` };
    }
    if (!settings.runtimes.includes(task.fn.runtime)) {
      return { type: 'RuntimeNotAvailable', message: `endpoint ${settings.name} does not offer the ${task.fn.runtime} runtime` };
    }
    return undefined;
  }

  /** Records a task event in the audit log, if there is one; false when it could not be written. */
  #audited(task: HeldTask, state: AuditState): boolean {
    return this.deps.audit?.record(state, { taskId: task.lease.task_id, functionId: task.lease.function_id }) ?? true;
  }

  #toRun(task: HeldTask): TaskToRun {
    return {
      taskId: task.lease.task_id,
      attempt: task.lease.attempt,
      functionId: task.lease.function_id,
      runtime: task.fn!.runtime,
      source: task.fn!.source,
      entryPoint: task.fn!.entry_point,
      ...(task.fn!.code_serializer ? { codeSerializer: task.fn!.code_serializer } : {}),
      ...(task.fn!.container_image ? { containerImage: task.fn!.container_image } : {}),
      payload: task.lease.payload,
      serializer: task.lease.serializer,
      walltimeMs: this.deps.settings.taskWalltimeMs,
      ...(task.lease.resource_specification ? { resourceSpecification: task.lease.resource_specification } : {}),
      onOutput: (text) => this.deps.liveOutput.push(task.lease.task_id, task.lease.lease_token, text),
    };
  }

  /** A task left the queue or its worker: report it, hand it back, or forget it. */
  #settle(task: HeldTask, outcome?: TaskOutcome): void {
    const { held, handBacks, results, settings, log } = this.deps;
    this.deps.busy(false);
    if (task.dropped || !outcome || task.handBack) {
      if (!task.dropped) handBacks.handBack([task]);
      else held.forget(task);
    } else {
      held.finished(task);
      const shaped = withinSizeLimit(toPosted(task.lease, outcome), settings.maxResultBytes, settings.name);
      if (shaped.tooLarge !== undefined) {
        log.warn({ taskId: task.lease.task_id, bytes: shaped.tooLarge, limit: settings.maxResultBytes }, 'result larger than max_result_bytes; reporting TaskResultTooLarge');
      }
      results.add(shaped.result);
    }
    this.deps.roomFreed();
  }
}
