/**
 * The endpoint agent's life: it starts its executor and its loops, and stops them. It leases as
 * many tasks as it has room for (leaseLoop.ts, room.ts), runs them on its executor
 * (taskRunner.ts), reports results in batches (resultFlusher.ts), and heartbeats
 * (heartbeater.ts); a cancel watch (../cancelWatch.ts) hears cancels at once. A task stays held
 * (heldTasks.ts: the one owner of that state) from lease until the service acknowledges its
 * result, and its lease is renewed by every heartbeat meanwhile. Every call to the service is
 * retried the same way (serviceConnection.ts, ../backoff.ts).
 *
 * Stopping: the first stop stops leasing (the poll in flight is asked to end, and what it still
 * brings is handed back: ../pollEnd.ts), hands back tasks not yet started, lets running ones
 * finish within the grace period (then hands them back too), and posts what it can. A second
 * stop kills everything at once; the service reclaims the leases when they expire.
 */
import type { Logger } from '../logger.js';
import { sleep } from '@funcx-ts/shared/time.js';
import type { ServiceClient } from '../client.js';
import type { ResultSpool } from '../spool.js';
import { OutputShipper } from '../outputShipper.js';
import { CancelWatch } from '../cancelWatch.js';
import type { AgentSession } from '../session.js';
import type { AuditLog } from '../auditLog.js';
import type { EndpointSettings } from '../config.js';
import type { Executor } from '../execution.js';
import { HandBacks } from './handBacks.js';
import { HeldTasks, type HeldTask } from './heldTasks.js';
import { Heartbeater } from './heartbeater.js';
import { HoardCheck } from './hoardCheck.js';
import { LeaseLoop, POLL_END_BOUND_MS, RECONCILE_BEFORE_EXIT_MS } from './leaseLoop.js';
import { ResultFlusher } from './resultFlusher.js';
import { acceptableResult } from './resultShaping.js';
import { Room } from './room.js';
import { ServiceConnection } from './serviceConnection.js';
import { TaskRunner } from './taskRunner.js';

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

/** After the grace period, how long aborted tasks get to settle. */
const DRAIN_ABORT_SETTLE_MS = 5_000;
/** The least time a stop gives to posting results and releasing leases (else the grace period). */
const DRAIN_MIN_FLUSH_MS = 5_000;

/** The longest drain() may take for a grace period (not counting the executor's own stop). */
export function longestDrainMs(graceMs: number): number {
  return POLL_END_BOUND_MS + RECONCILE_BEFORE_EXIT_MS + graceMs + DRAIN_ABORT_SETTLE_MS + Math.max(DRAIN_MIN_FLUSH_MS, graceMs);
}

export class EndpointAgent {
  private readonly held = new HeldTasks();
  /** Aborted by the first stop: no more leases, no more tasks started. */
  private readonly leasing = new AbortController();
  /** Aborted when the agent stops (a second stop, or at the end of run()): every loop ends. */
  private readonly stopped = new AbortController();
  private readonly log: Logger;
  private readonly connection: ServiceConnection;
  private readonly room: Room;
  private readonly handBacks: HandBacks;
  private readonly results: ResultFlusher;
  private readonly heartbeater: Heartbeater;
  private readonly runner: TaskRunner;
  private readonly leaseLoop: LeaseLoop;
  /** What running tasks print, on its way to the service (outputShipper.ts). */
  private readonly liveOutput: OutputShipper;
  /** Hears of cancels at once (cancelWatch.ts); heartbeats say them too. */
  private readonly cancelWatch: CancelWatch;
  private lastBusyAt = Date.now();
  private stopRequests = 0;
  private done: Promise<void> | undefined;

  constructor(private readonly deps: AgentDeps) {
    const { client, credential, endpointId, executor, settings, audit } = deps;
    const { held, leasing, stopped } = this;
    const log = (this.log = deps.logger.child({ endpointId }));
    const service = { client, credential, endpointId };
    this.connection = new ServiceConnection(log, client.serviceUrl, (why) => this.stopNow(why));
    this.room = new Room({ executor, settings, held });
    const tuner = this.room.tuner;
    this.handBacks = new HandBacks({ ...service, held, log });
    this.results = new ResultFlusher({ ...service, spool: deps.spool, held, connection: this.connection, tuner, stopped: stopped.signal, log });
    this.liveOutput = new OutputShipper({ ...service, log });
    this.heartbeater = new Heartbeater({
      ...service, executor, settings, audit, held, room: this.room, tuner, connection: this.connection, stopped: stopped.signal, log,
      unacknowledged: () => this.results.pending,
      openPoll: () => this.leaseLoop.openPoll(),
      lastBusyAt: () => this.lastBusyAt,
      drop: (task, why) => this.drop(task, why),
      stop: () => this.stop(),
    });
    this.runner = new TaskRunner({
      executor, settings, audit, held, handBacks: this.handBacks, results: this.results, liveOutput: this.liveOutput, tuner, leasing: leasing.signal, log,
      hoardCheck: new HoardCheck({ settings, held, room: this.room, handBacks: this.handBacks, log, leasing: leasing.signal }),
      busy: (heldChanged) => {
        if (heldChanged) this.cancelWatch.heldChanged();
        this.lastBusyAt = Date.now();
      },
      roomFreed: () => this.leaseLoop.wake(),
    });
    this.leaseLoop = new LeaseLoop({
      ...service, settings, session: deps.session, audit, held, room: this.room, connection: this.connection, handBacks: this.handBacks, leasing: leasing.signal, log,
      unacknowledged: () => this.results.unacknowledged(),
      learnLeaseSeconds: (seconds) => this.heartbeater.learnLeaseSeconds(seconds),
      accept: (lease, fn) => this.runner.accept(lease, fn),
    });
    this.cancelWatch = new CancelWatch({
      ...service, stopped: stopped.signal, log,
      watched: () => held.watched(),
      cancelled: (taskIds) => {
        for (const taskId of taskIds) {
          const task = held.get(taskId);
          if (task && !task.dropped) this.drop(task, 'cancelled');
        }
      },
    });
    executor.onCapacityChange?.(() => this.leaseLoop.wake());
    executor.onWaitingChange?.(() => this.heartbeater.waitingChanged());
    audit?.onChange((writable) => {
      if (!writable) this.runner.handBackUnstarted();
      this.heartbeater.wanted(); // the service hears of the failure (and the recovery) soon
      if (writable) this.leaseLoop.wake();
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

  stats(): AgentStats {
    return { ...this.held.counts(), outbox: this.results.pending, connected: this.connection.connected };
  }

  private stopGracefully(): void {
    this.log.info({ graceMs: this.deps.settings.graceMs }, 'stopping: no new tasks; running tasks may finish');
    this.leasing.abort();
    this.leaseLoop.wake();
    this.leaseLoop.endPoll();
  }

  private stopNow(why: string): void {
    this.log.warn(why);
    this.leasing.abort();
    this.leaseLoop.hangUp();
    this.leaseLoop.wake();
    this.stopped.abort();
    // Abandoned, not failed: each goes back to the queue with its attempt uncounted. Marked
    // before the abort, since the second stop may come before drain() (e.g. while the lease
    // poll is still being ended), and an aborted task's outcome must never be posted as its result.
    this.held.abandonAll();
  }

  /** Stops a task the service says is cancelled or no longer ours (its process group is ended); its result is never posted. */
  private drop(task: HeldTask, why: 'cancelled' | 'lease lost'): void {
    if (task.dropped) return; // told twice (the cancel watch, then a heartbeat)
    this.log.info({ taskId: task.lease.task_id, why, phase: task.phase }, 'dropping task');
    this.held.drop(task);
  }

  private async main(): Promise<void> {
    const { executor, spool } = this.deps;
    await executor.start();
    const leftovers = spool.pending();
    if (leftovers.length > 0) {
      this.log.info({ results: leftovers.length }, 'posting results kept from a previous run');
      this.results.restore(leftovers.map(acceptableResult));
    }
    const heartbeats = this.heartbeater.run();
    const cancelWatch = this.cancelWatch.run();
    try {
      await this.leaseLoop.run();
      if (!this.stopped.signal.aborted) await this.leaseLoop.reconcileBeforeExit();
      if (!this.stopped.signal.aborted) await this.drain();
    } finally {
      this.stopped.abort();
      this.results.spoolUnposted();
      this.liveOutput.close();
      await heartbeats;
      await cancelWatch;
      await executor.stop();
      // A stop that skipped drain() (a second stop) still hands its tasks back before exit.
      await this.handBacks.settled(Date.now() + DRAIN_MIN_FLUSH_MS);
      this.log.info({ unacknowledged: this.results.pending }, 'endpoint agent stopped');
    }
    if (this.connection.fatal) throw this.connection.fatal;
  }

  private async drain(): Promise<void> {
    const { settings, executor } = this.deps;
    const { held, runner } = this;
    const notStarted = held.inPhase('queued');
    runner.clearQueue();
    for (const task of notStarted) held.markHandBack(task);
    this.handBacks.handBack(notStarted);
    // Tasks an executor still queues itself (waiting for a block) have not started either:
    // their run() settles now, and the runner hands them back.
    for (const taskId of executor.withdrawWaiting?.() ?? []) {
      const task = held.get(taskId);
      if (task) held.markHandBack(task);
    }
    const finished = runner.idle();
    const graceOver = sleep(settings.graceMs, this.stopped.signal).then(() => 'grace over' as const);
    if ((await Promise.race([finished.then(() => 'done' as const), graceOver])) !== 'done') {
      const running = held.inPhase('running');
      this.log.warn({ tasks: running.length }, 'grace period over: handing back running tasks');
      for (const task of running) held.markHandBack(task, true);
      await Promise.race([finished, sleep(DRAIN_ABORT_SETTLE_MS)]);
    }
    // Post what finished; results that cannot be posted go to the spool for the next start (main's finally).
    const deadline = Date.now() + Math.max(DRAIN_MIN_FLUSH_MS, settings.graceMs);
    while ((this.results.pending > 0 || this.results.inFlight) && Date.now() < deadline && !this.stopped.signal.aborted && !this.connection.fatal) {
      this.results.schedule();
      await Promise.race([this.results.inFlight, sleep(250)]);
    }
    await this.handBacks.settled(deadline);
  }
}
