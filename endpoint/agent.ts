/**
 * The endpoint agent: leases as many tasks as it has room for, runs them on
 * its executor, reports results in batches, and heartbeats.
 *
 * Room = capacity + prefetch - tasks queued or running, so the endpoint
 * never holds more than it can start soon. `prefetch: auto` (the default)
 * sizes it from observed task durations and round trips (prefetch.ts), and
 * tasks it leased ahead that then wait long behind long-running ones are
 * handed back, for an endpoint with free workers to take. Capacity is max_workers, or, with
 * blocks, what the block executor offers (connected slots and blocks on
 * their way). A task stays "held" (its lease listed in
 * heartbeats, so renewed) from lease until the service acknowledges its
 * result. Results are posted from memory as they finish (those finished while
 * a post is in flight go together in the next); only a result that cannot be
 * posted (the service unreachable, or the agent stopping) goes to the on-disk
 * spool, and leaves it when acknowledged (see resultOutbox.ts for why).
 *
 * Heartbeats mark the held tasks that wait for nodes (with blocks: not on a
 * worker yet), which the service reports as `waiting-for-nodes`. When that set
 * changes (a task starts, or begins to wait), the next heartbeat comes early,
 * at most one per EARLY_HEARTBEAT_GAP_MS, so users see it soon.
 *
 * Stopping: the first stop stops leasing (it asks the service to end the poll
 * in flight rather than hanging up on it, and hands back what that poll still
 * brings: pollEnd.ts), hands back tasks not yet started,
 * lets running ones finish within the grace period (then hands them back too),
 * and posts what it can. A second stop kills everything at once; the service
 * reclaims the leases when they expire.
 *
 * Leases held by nobody: each run has a session id (session.ts) that its
 * lease calls carry. Before its first lease the agent tells the service every
 * lease it holds, naming its session and the previous run's in this endpoint
 * folder; before the next lease after a lease call failed (its answer may be
 * lost), it does the same for its own session only. The service returns those
 * sessions' other leases to the queue at once (leaseReconcile.ts): a run
 * killed with -9, or a service killed right after it leased, costs no lease
 * timeout, and another agent of the same endpoint id keeps its own leases.
 */
import os from 'node:os';
import PQueue from 'p-queue';
import type { Logger } from './logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { sleep } from '@funcx-ts/shared/time.js';
import { Backoff } from './backoff.js';
import { CredentialRefused, ServiceRejected, ServiceUnreachable } from './errors.js';
import { MAX_LEASE_TASKS, type HeldLease, type PostedResult, type ServiceClient } from './client.js';
import type { ResultSpool, SpooledResult } from './spool.js';
import { ResultOutbox } from './resultOutbox.js';
import { OutputShipper } from './outputShipper.js';
import { PrefetchTuner } from './prefetch.js';
import { heldPayloadChars, leaseByteBudget } from './leaseBudget.js';
import { heldLeases } from './leaseReconcile.js';
import { endPollInFlight } from './pollEnd.js';
import { CancelWatch } from './cancelWatch.js';
import type { AgentSession } from './session.js';
import type { AuditLog, AuditState } from './auditLog.js';
import type { EndpointSettings } from './config.js';
import type { Executor, RemoteException, TaskOutcome, TaskToRun } from './execution.js';
import type { EndpointLeaseResponse } from '@funcx-ts/shared/wire/endpoint-lease-response.js';
import { DiskTrouble } from './diskTrouble.js';
import { ServiceStorageFull, STORAGE_FULL_CODE } from './serviceStorageFull.js';

type LeasedTask = EndpointLeaseResponse['tasks'][number];
type LeasedFunction = EndpointLeaseResponse['functions'][string];

interface HeldTask {
  lease: LeasedTask;
  fn: LeasedFunction | undefined;
  controller: AbortController;
  phase: 'queued' | 'running' | 'reporting';
  /** performance.now() when leased, and when it started on a worker. */
  leasedAt: number;
  startedAt: number;
  /** The service said to stop it (cancelled, or lease lost): its result is not posted. */
  dropped: boolean;
  /** Stopping: give the lease back instead of posting a result. */
  handBack: boolean;
}

export interface AgentDeps {
  settings: EndpointSettings;
  endpointId: string;
  credential: string;
  client: ServiceClient;
  executor: Executor;
  spool: ResultSpool;
  logger: Logger;
  /** This run's session id, and earlier runs' of this endpoint folder to reconcile on start. */
  session: AgentSession;
  /** audit_log_path: every task event is recorded; while it cannot be, nothing is leased or started (auditLog.ts). */
  audit?: AuditLog;
}

export interface AgentStats {
  held: number;
  queued: number;
  running: number;
  reporting: number;
  outbox: number;
  connected: boolean;
}

const RESULT_BATCH = 500;
/** Each pause between heartbeats is heartbeat_period times a random factor in 1 ± this. */
const HEARTBEAT_JITTER = 0.1;
/** An early heartbeat (tasks started or began waiting for nodes) comes at least this long after the previous one. */
const EARLY_HEARTBEAT_GAP_MS = 1_000;
/** With prefetch: auto, how often (while tasks wait for a worker) to look for tasks leased ahead that wait too long. */
const HOARD_CHECK_MS = 1_000;
/** A task leased ahead and waiting at least this long, beyond what prefetch: auto now wants, is handed back. */
const HOARD_WAIT_MS = 1_000;
/** After the grace period, how long aborted tasks get to settle. */
const DRAIN_ABORT_SETTLE_MS = 5_000;
/** The least time a stop gives to posting results and releasing leases (else the grace period). */
const DRAIN_MIN_FLUSH_MS = 5_000;
/** Stopping: how long the poll in flight gets to answer once asked to end, before it is aborted. */
const POLL_END_BOUND_MS = 5_000;
/** Stopping after the poll had to be aborted: how long the reconcile that returns its leases may take. */
const RECONCILE_BEFORE_EXIT_MS = 5_000;

/** The longest drain() may take for a grace period (not counting the executor's own stop). */
export function longestDrainMs(graceMs: number): number {
  return POLL_END_BOUND_MS + RECONCILE_BEFORE_EXIT_MS + graceMs + DRAIN_ABORT_SETTLE_MS + Math.max(DRAIN_MIN_FLUSH_MS, graceMs);
}

export class EndpointAgent {
  private readonly held = new Map<string, HeldTask>();
  private readonly queue: PQueue;
  private readonly outbox: ResultOutbox;
  /** What running tasks print, on its way to the service (outputShipper.ts). */
  private readonly liveOutput: OutputShipper;
  private readonly releasing = new Set<Promise<void>>();
  private readonly leasing = new AbortController();
  /** Aborts the lease poll's connection: a second stop, or a poll that would not end (pollEnd.ts). */
  private readonly pollAbort = new AbortController();
  /** The lease call in flight. */
  private poll: Promise<unknown> | undefined;
  /** Tell the service which leases are held before the next lease (start; a lease call failed). */
  private reconcileBeforeLease = true;
  /** A poll was aborted while stopping: its answer may be lost, so reconcile before exit. */
  private reconcileBeforeExit = false;
  /** Earlier runs' sessions, named in reconciles until one succeeds. */
  private previousSessions: readonly string[];
  private readonly stopped = new AbortController();
  private readonly log: Logger;
  private flushing: Promise<void> | undefined;
  private roomFreed: (() => void) | undefined;
  /** The held tasks the last heartbeat reported waiting for nodes. */
  private reportedWaiting = new Set<string>();
  private heartbeatWanted = false;
  /** The service's lease length, from its last lease or heartbeat answer. */
  private leaseSeconds: number | undefined;
  private warnedHeartbeatTooSlow = false;
  private wakeHeartbeat: (() => void) | undefined;
  private connected = false;
  private readonly storageFull: ServiceStorageFull;
  private lastBusyAt = Date.now();
  private readonly prefetch = new PrefetchTuner();
  /** Hears of cancels at once (cancelWatch.ts); heartbeats say them too. */
  private readonly cancelWatch: CancelWatch;
  private hoardCheck: NodeJS.Timeout | undefined;
  private stopRequests = 0;
  private fatal: Error | undefined;
  private done: Promise<void> | undefined;

  constructor(private readonly deps: AgentDeps) {
    // An executor that reports its own capacity (blocks) queues tasks itself.
    this.queue = new PQueue({ concurrency: deps.executor.capacity ? Infinity : deps.settings.maxWorkers });
    this.log = deps.logger.child({ endpointId: deps.endpointId });
    this.storageFull = new ServiceStorageFull(this.log);
    this.previousSessions = deps.session.previous;
    this.outbox = new ResultOutbox(deps.spool, new DiskTrouble(this.log, 'results to the spool'));
    this.liveOutput = new OutputShipper({ client: deps.client, credential: deps.credential, endpointId: deps.endpointId, log: this.log });
    deps.executor.onCapacityChange?.(() => this.wakeLeaseLoop());
    deps.executor.onWaitingChange?.(() => this.waitingChanged());
    this.cancelWatch = new CancelWatch({
      client: deps.client, credential: deps.credential, endpointId: deps.endpointId, stopped: this.stopped.signal, log: this.log,
      watched: () => [...this.held.values()].filter((t) => !t.dropped && t.phase !== 'reporting').map((t) => t.lease.task_id),
      cancelled: (taskIds) => {
        for (const taskId of taskIds) {
          const task = this.held.get(taskId);
          if (task && !task.dropped) this.drop(task, 'cancelled');
        }
      },
    });
    deps.audit?.onChange((writable) => {
      if (!writable) this.handBackQueued();
      this.heartbeatWanted = true; // the service hears of the failure (and the recovery) soon
      this.wakeHeartbeat?.();
      if (writable) this.wakeLeaseLoop();
    });
  }

  /** Runs until stopped; rejects with the fatal error when the service refuses the credential. */
  run(): Promise<void> {
    this.done ??= this.main();
    return this.done;
  }

  /** First call: graceful. Second call: immediate. */
  stop(): void {
    this.stopRequests += 1;
    if (this.stopRequests === 1) this.stopGracefully();
    else this.stopNow('stopping now: running tasks are abandoned to the service');
  }

  private stopGracefully(): void {
    this.log.info({ graceMs: this.deps.settings.graceMs }, 'stopping: no new tasks; running tasks may finish');
    this.leasing.abort();
    this.wakeLeaseLoop();
    if (this.poll) void this.endPoll(this.poll);
  }

  /** Asks the service to end the poll in flight (not hanging up: its answer would be lost); hands back what it brings. */
  private async endPoll(poll: Promise<unknown>): Promise<void> {
    const { client, credential, endpointId } = this.deps;
    const how = await endPollInFlight({
      poll,
      ask: () => client.endPolls(credential, endpointId, this.deps.session.id),
      abort: () => {
        this.reconcileBeforeExit = true;
        this.pollAbort.abort();
      },
      boundMs: POLL_END_BOUND_MS,
    });
    if (how === 'aborted') this.log.warn('the lease poll did not end when asked; aborted it (its leases are reconciled before exit)');
  }

  private stopNow(why: string): void {
    this.log.warn(why);
    this.leasing.abort();
    this.pollAbort.abort();
    this.wakeLeaseLoop();
    this.stopped.abort();
    // Abandoned, not failed: each goes back to the queue with its attempt uncounted. Marked
    // before the abort, since the second stop may come before drain() (e.g. while the lease
    // poll is still being ended), and an aborted task's outcome must never be posted as its result.
    for (const task of this.held.values()) {
      if (task.phase !== 'reporting') task.handBack = true;
      task.controller.abort();
    }
  }

  stats(): AgentStats {
    let queued = 0;
    let running = 0;
    let reporting = 0;
    for (const task of this.held.values()) {
      if (task.phase === 'queued') queued += 1;
      else if (task.phase === 'running') running += 1;
      else reporting += 1;
    }
    return { held: this.held.size, queued, running, reporting, outbox: this.outbox.length, connected: this.connected };
  }

  private async main(): Promise<void> {
    const { executor, spool } = this.deps;
    await executor.start();
    const leftovers = spool.pending();
    if (leftovers.length > 0) {
      this.log.info({ results: leftovers.length }, 'posting results kept from a previous run');
      this.outbox.restore(leftovers.map(acceptableResult));
      this.scheduleFlush();
    }
    const heartbeats = this.heartbeatLoop();
    const cancelWatch = this.cancelWatch.run();
    try {
      await this.leaseLoop();
      if (this.reconcileBeforeExit && !this.stopped.signal.aborted) await this.reconcileOnce();
      if (!this.stopped.signal.aborted) await this.drain();
    } finally {
      this.stopped.abort();
      this.spoolUnposted();
      this.liveOutput.close();
      await heartbeats;
      await cancelWatch;
      await executor.stop();
      // A stop that skipped drain() (a second stop) still hands its tasks back before exit.
      await this.releasesSettled(Date.now() + DRAIN_MIN_FLUSH_MS);
      this.log.info({ unacknowledged: this.outbox.length }, 'endpoint agent stopped');
    }
    if (this.fatal) throw this.fatal;
  }

  // --- leasing -------------------------------------------------------------

  private room(): number {
    let occupied = 0;
    for (const task of this.held.values()) if (task.phase !== 'reporting') occupied += 1;
    return this.capacity() + this.currentPrefetch() - occupied;
  }

  private capacity(): number {
    return this.deps.executor.capacity?.() ?? this.deps.settings.maxWorkers;
  }

  private currentPrefetch(): number {
    const configured = this.deps.settings.prefetch;
    if (configured !== 'auto') return configured;
    const now = performance.now();
    const ages: number[] = [];
    for (const task of this.held.values()) if (task.phase === 'running') ages.push(now - task.startedAt);
    return this.prefetch.prefetch(this.capacity(), ages);
  }

  /** prefetch: auto: while tasks wait for a worker, look now and then for ones leased ahead that wait too long. */
  private scheduleHoardCheck(): void {
    if (this.deps.settings.prefetch !== 'auto' || this.hoardCheck || this.leasing.signal.aborted) return;
    this.hoardCheck = setTimeout(() => {
      this.hoardCheck = undefined;
      this.handBackHoarded();
    }, HOARD_CHECK_MS);
    this.hoardCheck.unref();
  }

  /**
   * Tasks leased ahead wait for our workers; when those are busy with long tasks (the prefetch
   * wanted has dropped below what waits here), tasks beyond it that have waited HOARD_WAIT_MS
   * go back to the service, where an endpoint with free workers can take them.
   */
  private handBackHoarded(): void {
    if (this.leasing.signal.aborted) return;
    const queued = [...this.held.values()].filter((t) => t.phase === 'queued' && !t.dropped && !t.handBack);
    if (queued.length === 0) return;
    const excess = queued.length - this.currentPrefetch();
    const now = performance.now();
    // The last leased go back first: the earlier ones keep their place in line here.
    const hoarded = queued.filter((t) => now - t.leasedAt >= HOARD_WAIT_MS).slice(-Math.max(0, excess));
    if (excess > 0 && hoarded.length > 0) {
      for (const task of hoarded) {
        task.dropped = true; // when the queue reaches it, it is only forgotten (handed back here, once)
        task.controller.abort();
      }
      this.log.info({ tasks: hoarded.length, prefetch: this.currentPrefetch() }, 'handing back tasks leased ahead: the workers are busy with long tasks');
      this.handBack(hoarded);
    }
    if (queued.length > hoarded.length) this.scheduleHoardCheck();
  }

  private wakeLeaseLoop(): void {
    const wake = this.roomFreed;
    this.roomFreed = undefined;
    wake?.();
  }

  private async leaseLoop(): Promise<void> {
    const { client, credential, endpointId, settings } = this.deps;
    const backoff = new Backoff();
    while (!this.leasing.signal.aborted) {
      // First, even with no room: the leases it returns wait for nobody.
      if (this.reconcileBeforeLease) {
        if (!(await this.reconcile(backoff))) break;
        continue;
      }
      if (this.deps.audit && !this.deps.audit.writable) {
        await this.deps.audit.whenWritable(this.leasing.signal);
        continue;
      }
      const room = this.room();
      // Payloads held fill the lease byte budget (leaseBudget.ts) as tasks fill the room.
      const maxBytes = leaseByteBudget(heldPayloadChars(this.held.values()));
      if (room <= 0 || maxBytes <= 0) {
        await new Promise<void>((resolve) => (this.roomFreed = resolve));
        continue;
      }
      try {
        // More room than one request may ask for is filled over several polls.
        this.poll = client.lease(credential, endpointId, Math.min(room, MAX_LEASE_TASKS), settings.pollWaitMs, this.pollAbort.signal, this.deps.session.id, maxBytes);
        const response = (await this.poll) as EndpointLeaseResponse;
        this.markConnected(true, backoff, 'lease');
        this.learnLeaseSeconds(response.lease_seconds);
        if (this.leasing.signal.aborted) {
          // Stopped while this poll was out: what it brings is not run, but handed back at once.
          this.release(response.tasks.map((t) => ({ task_id: t.task_id, lease_token: t.lease_token })));
          break;
        }
        for (const lease of response.tasks) this.accept(lease, response.functions[lease.function_id]);
      } catch (error) {
        // The service may have leased tasks into an answer that never arrived.
        this.reconcileBeforeLease = true;
        if (this.leasing.signal.aborted) break;
        if (!this.handleServiceError(error, 'lease')) break;
        await sleep(backoff.next(error instanceof ServiceUnreachable ? error.retryAfterMs : 0), this.leasing.signal);
      } finally {
        this.poll = undefined;
      }
    }
  }

  /** Tells the service every lease held (leaseReconcile.ts); false when the loop must end. */
  private async reconcile(backoff: Backoff): Promise<boolean> {
    try {
      await this.reconcileOnce(true);
      this.markConnected(true, backoff, 'reconcile');
      return true;
    } catch (error) {
      if (this.leasing.signal.aborted) return false;
      if (!this.handleServiceError(error, 'reconcile')) return false;
      // A refusal will not change on retry (handleServiceError said so loudly): lease without it.
      if (error instanceof ServiceRejected) this.reconcileBeforeLease = false;
      else await sleep(backoff.next(error instanceof ServiceUnreachable ? error.retryAfterMs : 0), this.leasing.signal);
      return !this.leasing.signal.aborted;
    }
  }

  private async reconcileOnce(rethrow = false): Promise<void> {
    const { client, credential, endpointId, session } = this.deps;
    try {
      const held = heldLeases(this.held.values(), this.outbox.all());
      const previous = [...this.previousSessions];
      const { released } = await client.reconcile(credential, endpointId, { session: session.id, previous }, held, rethrow ? undefined : RECONCILE_BEFORE_EXIT_MS);
      this.reconcileBeforeLease = false;
      if (previous.length > 0) {
        this.previousSessions = [];
        session.reconciled();
      }
      if (released.length > 0) this.log.info({ released: released.length, previousSessions: previous.length }, 'leases this agent no longer held (its previous run\'s, or a lost lease answer\'s) returned to the queue');
    } catch (error) {
      if (rethrow) throw error;
      this.log.warn({ err: asError(error) }, 'could not reconcile leases before exit; any lease lost with the aborted poll will expire');
    }
  }

  private accept(lease: LeasedTask, fn: LeasedFunction | undefined): void {
    const earlier = this.held.get(lease.task_id);
    if (earlier && earlier.lease.lease_token === lease.lease_token) {
      this.log.warn({ taskId: lease.task_id, attempt: lease.attempt }, 'the service sent a lease already held; ignored');
      return;
    }
    if (earlier) {
      // The service re-leased a task we still hold (we stalled past its lease, and the lease loop
      // heard of the new attempt before a heartbeat said the old one was lost). The old attempt's
      // lease is gone: stop it, and never post its result (a result of it already waiting in the
      // outbox is dropped by the flush loop; one already in flight is refused on its stale token).
      this.log.warn({ taskId: lease.task_id, attempt: earlier.lease.attempt, newAttempt: lease.attempt }, 'task leased again: dropping the superseded attempt');
      earlier.dropped = true;
      earlier.controller.abort();
    }
    const now = performance.now();
    const task: HeldTask = { lease, fn, controller: new AbortController(), phase: 'queued', leasedAt: now, startedAt: now, dropped: false, handBack: false };
    this.held.set(lease.task_id, task);
    this.cancelWatch.heldChanged();
    this.lastBusyAt = Date.now();
    this.log.debug({ taskId: lease.task_id, attempt: lease.attempt }, 'task leased');
    if (!this.audited(task, 'RECEIVED')) {
      this.handBack([task]); // never run unaudited
      return;
    }
    void this.queue.add(() => this.execute(task)).catch((error) => {
      this.log.error({ err: asError(error), taskId: lease.task_id }, 'task execution crashed');
    });
    if (task.phase === 'queued') this.scheduleHoardCheck();
  }

  // --- running -------------------------------------------------------------

  private async execute(task: HeldTask): Promise<void> {
    const { executor } = this.deps;
    if (task.controller.signal.aborted || task.handBack || this.leasing.signal.aborted) {
      // Never started: a dropped task is forgotten, anything else is handed back.
      if (!task.dropped) task.handBack = true;
      return this.settle(task);
    }
    task.phase = 'running';
    task.startedAt = performance.now();
    // No child logger per task (it showed in profiles); debug lines name the task themselves.
    const where = { taskId: task.lease.task_id, attempt: task.lease.attempt };
    let outcome: TaskOutcome;
    const refusal = this.refusal(task);
    if (refusal) {
      outcome = { status: 'failed', exception: refusal };
      this.audited(task, 'FAILED');
    } else if (!this.audited(task, 'EXEC_START')) {
      task.handBack = true; // never run unaudited: back to the service, to run once the log works
      return this.settle(task);
    } else {
      this.log.debug({ ...where, runtime: task.fn!.runtime }, 'task started');
      outcome = await executor.run(this.toRun(task), task.controller.signal);
      this.prefetch.taskFinished(performance.now() - task.startedAt);
      this.audited(task, 'EXEC_END');
      await this.liveOutput.finish(task.lease.task_id); // its last lines before its result
    }
    this.log.debug({ ...where, status: outcome.status }, 'task finished');
    this.settle(task, outcome);
  }

  /** Why this endpoint will not run the task, or undefined when it will. */
  private refusal(task: HeldTask): RemoteException | undefined {
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
  private audited(task: HeldTask, state: AuditState): boolean {
    return this.deps.audit?.record(state, { taskId: task.lease.task_id, functionId: task.lease.function_id }) ?? true;
  }

  /** The audit log failed: tasks not started go back to the service (none may start unaudited). */
  private handBackQueued(): void {
    if (this.leasing.signal.aborted) return;
    const queued = [...this.held.values()].filter((t) => t.phase === 'queued' && !t.dropped && !t.handBack);
    for (const task of queued) {
      task.dropped = true; // when the queue reaches it, it is only forgotten (handed back here, once)
      task.controller.abort();
    }
    if (queued.length > 0) this.log.warn({ tasks: queued.length }, 'audit log unwritable: handing back tasks not started');
    this.handBack(queued);
  }

  private toRun(task: HeldTask): TaskToRun {
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
      onOutput: (text) => this.liveOutput.push(task.lease.task_id, task.lease.lease_token, text),
    };
  }

  /** A task left the queue or its worker: report it, hand it back, or forget it. */
  private settle(task: HeldTask, outcome?: TaskOutcome): void {
    this.lastBusyAt = Date.now();
    if (task.dropped || !outcome || task.handBack) {
      if (!task.dropped) this.handBack([task]);
      else this.forget(task);
    } else {
      task.phase = 'reporting';
      const result = this.withinSizeLimit(toPosted(task.lease, outcome));
      // Known unreachable: it cannot be posted now, so it goes to disk at once.
      this.outbox.add(result, !this.connected);
      this.scheduleFlush();
    }
    this.wakeLeaseLoop();
  }

  /** Stops holding this attempt, unless a newer attempt of the task has taken its place. */
  private forget(task: HeldTask): void {
    if (this.held.get(task.lease.task_id) === task) this.held.delete(task.lease.task_id);
  }

  /** A result over max_result_bytes becomes the TaskResultTooLarge failure before it is spooled or sent. */
  private withinSizeLimit(result: SpooledResult): SpooledResult {
    const limit = this.deps.settings.maxResultBytes;
    const size = resultBytes(result);
    if (size <= limit) return result;
    this.log.warn({ taskId: result.task_id, bytes: size, limit }, 'result larger than max_result_bytes; reporting TaskResultTooLarge');
    return {
      task_id: result.task_id,
      lease_token: result.lease_token,
      attempt: result.attempt,
      status: 'failed',
      exception: { type: 'TaskResultTooLarge', message: `the task's result is ${size} bytes; endpoint ${this.deps.settings.name} reports results up to ${limit} bytes (max_result_bytes)` },
    };
  }

  private handBack(tasks: HeldTask[]): void {
    for (const task of tasks) this.forget(task);
    this.release(tasks.map((t) => ({ task_id: t.lease.task_id, lease_token: t.lease.lease_token })));
  }

  private release(leases: HeldLease[]): void {
    if (leases.length === 0) return;
    // Best effort: if the service is unreachable the leases simply expire and the tasks are retried.
    const releasing = this.deps.client.release(this.deps.credential, this.deps.endpointId, leases).then(
      ({ released }) => this.log.info({ released: released.length }, 'handed back tasks not run'),
      (error) => this.log.warn({ err: asError(error), tasks: leases.length }, 'could not hand back tasks; their leases will expire'),
    );
    // Stopping waits for these, so a hand-back made just before exit still reaches the service.
    this.releasing.add(releasing);
    void releasing.finally(() => this.releasing.delete(releasing));
  }

  // --- results -------------------------------------------------------------

  private scheduleFlush(): void {
    this.flushing ??= this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.outbox.length > 0 && !this.stopped.signal.aborted && !this.fatal) this.scheduleFlush();
    });
  }

  /** Results that cannot be posted now go to disk, so they survive the agent (posted on its next start). */
  private spoolUnposted(): void {
    try {
      const written = this.outbox.makeDurable();
      if (written > 0) this.log.info({ results: written }, 'results kept in the spool until the service takes them');
    } catch (error) {
      // A full or read-only disk: the results stay in memory; if the agent dies, their leases expire and the tasks rerun.
      this.log.error({ err: asError(error) }, 'cannot write results to the spool');
    }
  }

  private async flushLoop(): Promise<void> {
    const { client, credential, endpointId } = this.deps;
    const backoff = new Backoff();
    let batchSize = RESULT_BATCH;
    while (this.outbox.length > 0 && !this.stopped.signal.aborted) {
      // Let results that finish together go in one request.
      await new Promise((resolve) => setImmediate(resolve));
      this.dropSuperseded();
      if (this.outbox.length === 0) break;
      const batch = this.outbox.first(batchSize);
      try {
        const posting = performance.now();
        const { results } = await client.postResults(credential, endpointId, batch.map(stripAttempt));
        this.prefetch.roundTrip(performance.now() - posting);
        this.markConnected(true, backoff, 'results');
        const byTask = new Map(results.map((r) => [r.task_id, r]));
        this.outbox.acknowledged(batch.length);
        for (const posted of batch) {
          const answer = byTask.get(posted.task_id);
          if (answer?.outcome === 'rejected') {
            this.log.warn({ taskId: posted.task_id, code: answer.code, reason: answer.reason }, 'result refused; dropped');
          }
          const held = this.held.get(posted.task_id);
          if (held && held.lease.attempt === posted.attempt) this.held.delete(posted.task_id);
        }
        batchSize = RESULT_BATCH;
      } catch (error) {
        if (error instanceof ServiceRejected && error.status === 413) {
          // The request was over the service's body limit: post fewer at a time; a result that is
          // too large alone becomes the failure the service would have recorded, so it is not retried forever.
          if (batch.length > 1) batchSize = Math.ceil(batch.length / 2);
          else this.replaceTooLarge(batch[0]);
          continue;
        }
        if (error instanceof ServiceRejected && error.status === 400) {
          // The service refused the batch's content. Post halves until the offending result is
          // alone, then report it as a failure the service accepts, so it cannot hold up the rest.
          if (batch.length > 1) batchSize = Math.ceil(batch.length / 2);
          else this.replaceInvalid(batch[0], error);
          continue;
        }
        if (!this.handleServiceError(error, 'results')) return;
        this.spoolUnposted();
        await sleep(backoff.next(error instanceof ServiceUnreachable ? error.retryAfterMs : 0), this.stopped.signal);
      }
    }
  }

  private replaceTooLarge(result: SpooledResult): void {
    const size = Buffer.byteLength(JSON.stringify(result));
    this.log.warn({ taskId: result.task_id, bytes: size }, 'result too large for the service; reporting TaskResultTooLarge');
    const failure: SpooledResult = {
      task_id: result.task_id,
      lease_token: result.lease_token,
      attempt: result.attempt,
      status: 'failed',
      exception: { type: 'TaskResultTooLarge', message: `the task's result is about ${size} bytes, more than the service accepts in one request` },
    };
    this.outbox.replace(result, failure);
  }

  /** Results of attempts the service has since leased to us again: their leases are gone, so they are never posted. */
  private dropSuperseded(): void {
    for (const result of [...this.outbox.all()]) {
      const newer = this.held.get(result.task_id);
      if (!newer || newer.lease.attempt <= result.attempt) continue;
      this.log.info({ taskId: result.task_id, attempt: result.attempt, newAttempt: newer.lease.attempt }, 'result of a superseded attempt not posted');
      this.outbox.drop(result);
    }
  }

  /** A result the service refused as malformed becomes a ResultInvalid failure; if even that is refused, it is dropped. */
  private replaceInvalid(result: SpooledResult, error: ServiceRejected): void {
    if (result.status === 'failed' && result.exception?.type === 'ResultInvalid') {
      // Not the result's content but its identity (task id, lease token) is refused: nothing to post.
      this.log.error({ taskId: result.task_id, reason: error.message }, 'BUG: the service refused even the ResultInvalid failure; dropping the result (its lease will expire)');
      this.outbox.drop(result);
      const held = this.held.get(result.task_id);
      if (held && held.lease.attempt === result.attempt) this.held.delete(result.task_id);
      return;
    }
    this.log.error({ taskId: result.task_id, code: error.serviceCode, reason: error.message }, 'BUG: the service refused this result as malformed; reporting ResultInvalid instead');
    const failure: SpooledResult = {
      task_id: result.task_id,
      lease_token: result.lease_token,
      attempt: result.attempt,
      status: 'failed',
      exception: { type: 'ResultInvalid', message: `the endpoint produced a result the service refused: ${error.message}` },
    };
    this.outbox.replace(result, failure);
  }

  // --- heartbeats ----------------------------------------------------------

  private async heartbeatLoop(): Promise<void> {
    const { settings } = this.deps;
    const backoff = new Backoff();
    while (!this.stopped.signal.aborted) {
      try {
        await this.heartbeat();
        this.markConnected(true, backoff, 'heartbeat');
      } catch (error) {
        if (!this.handleServiceError(error, 'heartbeat')) return;
      }
      if (settings.idleShutdownMs > 0 && this.held.size === 0 && Date.now() - this.lastBusyAt > settings.idleShutdownMs) {
        this.log.info({ idleMs: Date.now() - this.lastBusyAt }, 'idle for idle_shutdown_after: stopping');
        this.stop();
      }
      await this.pauseBetweenHeartbeats();
    }
  }

  /** The executor's waiting tasks changed: heartbeat early if what the service was told is out of date. */
  private waitingChanged(): void {
    const now = new Set(this.deps.executor.waitingForNodes?.() ?? []);
    const same = now.size === this.reportedWaiting.size && [...now].every((id) => this.reportedWaiting.has(id));
    if (same) return;
    this.heartbeatWanted = true;
    this.wakeHeartbeat?.();
  }

  private learnLeaseSeconds(leaseSeconds: number | undefined): void {
    if (typeof leaseSeconds === 'number' && leaseSeconds > 0) this.leaseSeconds = leaseSeconds;
  }

  /**
   * heartbeat_period, but at most a third of the service's lease: heartbeats renew the
   * leases, so a slower heartbeat lets every lease expire and every task run again.
   */
  private heartbeatPeriodMs(): number {
    const configured = this.deps.settings.heartbeatMs;
    if (this.leaseSeconds === undefined) return configured;
    const bound = (this.leaseSeconds * 1000) / 3;
    if (configured <= bound) return configured;
    if (!this.warnedHeartbeatTooSlow) {
      this.warnedHeartbeatTooSlow = true;
      this.log.warn(
        { heartbeatMs: configured, leaseSeconds: this.leaseSeconds, usingMs: Math.round(bound) },
        'heartbeat_period is more than a third of the service\'s lease; heartbeating every lease_seconds/3 instead',
      );
    }
    return bound;
  }

  /** heartbeat_period (±10%, so endpoints started together drift apart), or less when an early heartbeat is wanted (but not within EARLY_HEARTBEAT_GAP_MS). */
  private async pauseBetweenHeartbeats(): Promise<void> {
    const heartbeatMs = withJitter(this.heartbeatPeriodMs(), HEARTBEAT_JITTER);
    const cut = new AbortController();
    const signal = AbortSignal.any([this.stopped.signal, cut.signal]);
    const wanted = new Promise<void>((resolve) => {
      this.wakeHeartbeat = resolve;
      if (this.heartbeatWanted) resolve();
    });
    const early = sleep(Math.min(heartbeatMs, EARLY_HEARTBEAT_GAP_MS), signal).then(() => wanted);
    await Promise.race([sleep(heartbeatMs, signal), early]);
    this.wakeHeartbeat = undefined;
    cut.abort();
  }

  private async heartbeat(): Promise<void> {
    const { client, credential, endpointId, executor, settings } = this.deps;
    const stats = this.stats();
    const executorStats = executor.stats();
    this.heartbeatWanted = false; // this heartbeat reports the current state; changes after this point want another
    const waitingForNodes = new Set(executor.waitingForNodes?.() ?? []);
    const leases = [...this.held.values()].map((t): { task_id: string; lease_token: string; waiting_for_nodes?: boolean; waiting_for_launch?: boolean } => ({
      task_id: t.lease.task_id,
      lease_token: t.lease.lease_token,
      ...(waitingForNodes.has(t.lease.task_id) ? { waiting_for_nodes: true } : t.phase === 'queued' ? { waiting_for_launch: true } : {}),
    }));
    const sentTokens = new Map(leases.map((l) => [l.task_id, l.lease_token]));
    const answer = await client.heartbeat(credential, endpointId, {
      total_workers: executorStats.totalWorkers,
      idle_workers: executorStats.idleWorkers,
      outstanding_tasks: stats.held,
      pending_tasks: stats.queued,
      hostname: os.hostname(),
      runtimes: (await executor.runtimes()).filter((r) => settings.runtimes.includes(r.name as never)),
      leases,
      details: {
        provider: settings.provider.type,
        running: stats.running,
        reporting: stats.reporting,
        unacknowledged_results: stats.outbox,
        prefetch: this.currentPrefetch(),
        ...(settings.prefetch === 'auto' ? { prefetch_observed: this.prefetch.observed() } : {}),
        ...executor.details?.(),
        ...(this.deps.audit?.failureReason ? { state: 'failed', failure: this.deps.audit.failureReason } : {}),
      },
    });
    this.learnLeaseSeconds(answer.lease_seconds);
    this.reportedWaiting = new Set(leases.filter((l) => l.waiting_for_nodes).map((l) => l.task_id));
    for (const taskId of [...answer.cancel, ...answer.lost]) {
      const task = this.held.get(taskId);
      if (!task) continue;
      // "lost" speaks of the lease this heartbeat listed: a task lost, retried and leased here
      // again while the heartbeat was in flight holds a new lease, which is not lost.
      if (!answer.cancel.includes(taskId) && task.lease.lease_token !== sentTokens.get(taskId)) continue;
      // Never run (or keep running) a task whose lease is gone: someone else may have it.
      this.drop(task, answer.cancel.includes(taskId) ? 'cancelled' : 'lease lost');
    }
  }

  /** Stops a task the service says is cancelled or no longer ours (its process group is ended); its result is never posted. */
  private drop(task: HeldTask, why: 'cancelled' | 'lease lost'): void {
    if (task.dropped) return; // told twice (the cancel watch, then a heartbeat)
    this.log.info({ taskId: task.lease.task_id, why, phase: task.phase }, 'dropping task');
    task.dropped = true;
    task.controller.abort();
    if (task.phase === 'reporting') this.held.delete(task.lease.task_id);
  }

  // --- stopping ------------------------------------------------------------

  private async drain(): Promise<void> {
    const { settings, executor } = this.deps;
    const notStarted = [...this.held.values()].filter((t) => t.phase === 'queued');
    this.queue.clear();
    for (const task of notStarted) task.handBack = true;
    this.handBack(notStarted);
    // Tasks an executor still queues itself (waiting for a block) have not started either:
    // their run() settles now, and settle() hands them back.
    for (const taskId of executor.withdrawWaiting?.() ?? []) {
      const task = this.held.get(taskId);
      if (task) task.handBack = true;
    }
    const finished = this.queue.onIdle();
    const graceOver = sleep(settings.graceMs, this.stopped.signal).then(() => 'grace over' as const);
    if ((await Promise.race([finished.then(() => 'done' as const), graceOver])) !== 'done') {
      const running = [...this.held.values()].filter((t) => t.phase === 'running');
      this.log.warn({ tasks: running.length }, 'grace period over: handing back running tasks');
      for (const task of running) {
        task.handBack = true;
        task.controller.abort();
      }
      await Promise.race([finished, sleep(DRAIN_ABORT_SETTLE_MS)]);
    }
    // Post what finished; results that cannot be posted go to the spool for the next start (main's finally).
    const deadline = Date.now() + Math.max(DRAIN_MIN_FLUSH_MS, settings.graceMs);
    while ((this.outbox.length > 0 || this.flushing) && Date.now() < deadline && !this.stopped.signal.aborted && !this.fatal) {
      this.scheduleFlush();
      await Promise.race([this.flushing, sleep(250)]);
    }
    await this.releasesSettled(deadline);
  }

  /** Waits until the hand-backs in flight are answered, or `deadline` (ms since the epoch). */
  private async releasesSettled(deadline: number): Promise<void> {
    if (this.releasing.size === 0) return;
    const bounded = new AbortController(); // its timer must not keep the process alive once released
    await Promise.race([Promise.allSettled([...this.releasing]), sleep(Math.max(0, deadline - Date.now()), bounded.signal)]);
    bounded.abort();
  }

  // --- errors --------------------------------------------------------------

  private markConnected(connected: boolean, backoff?: Backoff, during?: string): void {
    if (connected && !this.connected) this.log.info({ service: this.deps.client.serviceUrl }, 'connected to the service');
    this.connected = connected;
    if (connected && during) this.storageFull.accepted(during);
    backoff?.reset();
  }

  /** Logs a failed service call; returns false when the agent must stop (credential refused). */
  private handleServiceError(error: unknown, during: string): boolean {
    if (error instanceof CredentialRefused) {
      if (!this.fatal) {
        this.fatal = error;
        this.log.error({ during, code: error.serviceCode }, `${error.message}; stopping (re-register with \`funcx-endpoint start\`, or ask the owner for access)`);
        this.stopNow('stopping now: the service no longer accepts this endpoint');
      }
      return false;
    }
    if (error instanceof ServiceUnreachable && error.serviceCode === STORAGE_FULL_CODE) {
      // The service is there and says why (once per episode: serviceStorageFull.ts).
      this.storageFull.refused(during, error.message);
      return true;
    }
    if (error instanceof ServiceUnreachable) {
      if (this.connected) this.log.warn({ during, err: error.message }, 'service unreachable; retrying with backoff');
      else this.log.debug({ during, err: error.message }, 'service still unreachable');
      this.connected = false;
      return true;
    }
    if (error instanceof ServiceRejected) {
      // A 4xx other than the credential means this agent sent what the service does not accept:
      // a bug, not an outage. Retrying cannot fix it, but stopping would strand held tasks, so say it loudly.
      this.log.error(
        { during, status: error.status, code: error.serviceCode, reason: error.message },
        `BUG: the service refused the ${during} request (${error.status} ${error.serviceCode}); retrying with backoff, which will not help until the endpoint or service is fixed: ${error.message}`,
      );
      return true;
    }
    this.log.error({ during, err: asError(error) }, 'service call failed');
    return true;
  }
}

function toPosted(lease: LeasedTask, outcome: TaskOutcome): SpooledResult {
  const base = { task_id: lease.task_id, lease_token: lease.lease_token, attempt: lease.attempt };
  if (outcome.status === 'success') return { ...base, status: 'success', result: outcome.result, result_serializer: outcome.resultSerializer };
  return { ...base, status: 'failed', exception: acceptableException(outcome.exception), ...(outcome.retry ? { retry: true } : {}) };
}

/** ms scaled by a random factor in [1 - fraction, 1 + fraction]. */
export function withJitter(ms: number, fraction: number): number {
  return ms * (1 - fraction + 2 * fraction * Math.random());
}

/** The bytes the service counts against its result limit: the result, or the serialized exception. */
function resultBytes(result: SpooledResult): number {
  return Buffer.byteLength(result.result ?? '') + Buffer.byteLength(result.exception?.serialized ?? '');
}

/** schemas/endpoint-results.json: exception.type is at most this many characters. */
const EXCEPTION_TYPE_MAX = 256;

/**
 * An exception as the results schema accepts it. Its fields come from user code
 * (a Python class name can be any length, a JS error's name any value), and one
 * result the service refuses would hold up every result posted with it.
 */
export function acceptableException(raw: unknown): RemoteException {
  const fields = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const type = Array.from(textOf(fields.type)).slice(0, EXCEPTION_TYPE_MAX).join('') || 'Exception';
  const exception: RemoteException = { type, message: textOf(fields.message) };
  if (typeof fields.traceback === 'string') exception.traceback = fields.traceback;
  if (typeof fields.serialized === 'string') exception.serialized = fields.serialized;
  return exception;
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

/** A spooled result (perhaps from an older version) made acceptable where it can be. */
function acceptableResult(result: SpooledResult): SpooledResult {
  return result.status === 'failed' && result.exception ? { ...result, exception: acceptableException(result.exception) } : result;
}

function stripAttempt({ attempt: _attempt, ...posted }: SpooledResult): PostedResult {
  return posted;
}
