/**
 * The heartbeat loop. Each heartbeat lists every held lease (which renews them), the workers, and
 * the held tasks that wait for nodes (with blocks: not on a worker yet; the service reports them
 * as `waiting-for-nodes`) or for a worker (`waiting_for_launch`). Its answer names tasks
 * cancelled or whose lease is lost: they are dropped.
 *
 * Heartbeats come every heartbeat_period, spread ±HEARTBEAT_SPREAD so endpoints started together
 * drift apart, but at most a third of the service's lease apart. When what the service was told
 * is out of date (a task starts or begins to wait; the audit log fails or recovers), the next one
 * comes early, at most one per EARLY_HEARTBEAT_GAP_MS. A failed heartbeat is not retried sooner:
 * the next comes at its time. Idle for idle_shutdown_after, the agent stops.
 *
 * Idle, with the service's leave (idle_heartbeat_s in its lease answers), a heartbeat that would
 * repeat the last report with no lease to renew is skipped while a lease poll is open: the poll
 * stands for it (pollStandsIn.ts). One still goes every idle_heartbeat_s.
 */
import os from 'node:os';
import type { Logger } from '../logger.js';
import { sleep } from '@funcx-ts/shared/time.js';
import { linkedAbortSignal } from '@funcx-ts/shared/linkedAbortSignal.js';
import type { AuditLog } from '../auditLog.js';
import type { ServiceClient } from '../client.js';
import type { EndpointSettings } from '../config.js';
import type { Executor } from '../execution.js';
import type { PrefetchTuner } from '../prefetch.js';
import type { HeldTask, HeldTasks } from './heldTasks.js';
import type { Room } from './room.js';
import type { ServiceConnection } from './serviceConnection.js';
import { pollStandsIn, type LastHeartbeat, type OpenPoll } from './pollStandsIn.js';

/** Each pause between heartbeats is heartbeat_period times a random factor in 1 ± this. */
const HEARTBEAT_SPREAD = 0.1;
/** An early heartbeat (tasks started or began waiting for nodes) comes at least this long after the previous one. */
const EARLY_HEARTBEAT_GAP_MS = 1_000;

/** `ms` scaled by a random factor in [1 - fraction, 1 + fraction]: a period spread (not a backoff jitter). */
export function spreadAround(ms: number, fraction: number): number {
  return ms * (1 - fraction + 2 * fraction * Math.random());
}

export interface HeartbeaterDeps {
  client: ServiceClient;
  credential: string;
  endpointId: string;
  executor: Executor;
  settings: EndpointSettings;
  audit?: AuditLog;
  held: HeldTasks;
  room: Room;
  tuner: PrefetchTuner;
  connection: ServiceConnection;
  stopped: AbortSignal;
  log: Logger;
  /** Results not yet acknowledged (reported). */
  unacknowledged: () => number;
  /** The lease poll open now: while idle, it may stand for a heartbeat (pollStandsIn.ts). */
  openPoll: () => OpenPoll | undefined;
  /** Date.now() when a task was last leased or settled (idle_shutdown_after). */
  lastBusyAt: () => number;
  /** The service says the task is cancelled or no longer ours. */
  drop: (task: HeldTask, why: 'cancelled' | 'lease lost') => void;
  /** Idle for idle_shutdown_after. */
  stop: () => void;
}

export class Heartbeater {
  /** The held tasks the last heartbeat reported waiting for nodes. */
  #reportedWaiting = new Set<string>();
  #wanted = false;
  #wake: (() => void) | undefined;
  /** The service's lease length, from its last lease or heartbeat answer. */
  #leaseSeconds: number | undefined;
  #warnedTooSlow = false;
  /** The last heartbeat the service answered, and its report. */
  #last: LastHeartbeat | undefined;

  constructor(private readonly deps: HeartbeaterDeps) {}

  async run(): Promise<void> {
    const { settings, connection, stopped, held, log } = this.deps;
    while (!stopped.aborted) {
      try {
        await this.#heartbeat();
        connection.succeeded('heartbeat');
      } catch (error) {
        if (!connection.failed(error, 'heartbeat')) return;
      }
      const idleMs = Date.now() - this.deps.lastBusyAt();
      if (settings.idleShutdownMs > 0 && held.size === 0 && idleMs > settings.idleShutdownMs) {
        log.info({ idleMs }, 'idle for idle_shutdown_after: stopping');
        this.deps.stop();
      }
      await this.#pause();
    }
  }

  /** What the service was told is out of date: the next heartbeat comes early. */
  wanted(): void {
    this.#wanted = true;
    this.#wake?.();
  }

  /** The executor's waiting tasks changed: heartbeat early if what the service was told is out of date. */
  waitingChanged(): void {
    const now = new Set(this.deps.executor.waitingForNodes?.() ?? []);
    const same = now.size === this.#reportedWaiting.size && [...now].every((id) => this.#reportedWaiting.has(id));
    if (!same) this.wanted();
  }

  /** The service's lease length, as its lease and heartbeat answers say. */
  learnLeaseSeconds(leaseSeconds: number | undefined): void {
    if (typeof leaseSeconds === 'number' && leaseSeconds > 0) this.#leaseSeconds = leaseSeconds;
  }

  /**
   * heartbeat_period, but at most a third of the service's lease: heartbeats renew the
   * leases, so a slower heartbeat lets every lease expire and every task run again.
   */
  #periodMs(): number {
    const configured = this.deps.settings.heartbeatMs;
    if (this.#leaseSeconds === undefined) return configured;
    const bound = (this.#leaseSeconds * 1000) / 3;
    if (configured <= bound) return configured;
    if (!this.#warnedTooSlow) {
      this.#warnedTooSlow = true;
      this.deps.log.warn(
        { heartbeatMs: configured, leaseSeconds: this.#leaseSeconds, usingMs: Math.round(bound) },
        'heartbeat_period is more than a third of the service\'s lease; heartbeating every lease_seconds/3 instead',
      );
    }
    return bound;
  }

  /** The period (spread), or less when an early heartbeat is wanted (but not within EARLY_HEARTBEAT_GAP_MS). */
  async #pause(): Promise<void> {
    const heartbeatMs = spreadAround(this.#periodMs(), HEARTBEAT_SPREAD);
    const cut = new AbortController();
    const { signal, release } = linkedAbortSignal([this.deps.stopped, cut.signal]);
    const wanted = new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (this.#wanted) resolve();
    });
    const early = sleep(Math.min(heartbeatMs, EARLY_HEARTBEAT_GAP_MS), signal).then(() => wanted);
    try {
      await Promise.race([sleep(heartbeatMs, signal), early]);
    } finally {
      this.#wake = undefined;
      cut.abort();
      release();
    }
  }

  async #heartbeat(): Promise<void> {
    const { client, credential, endpointId, executor, settings, held, room } = this.deps;
    const counts = held.counts();
    const executorStats = executor.stats();
    this.#wanted = false; // this heartbeat reports the current state; changes after this point want another
    const waitingForNodes = new Set(executor.waitingForNodes?.() ?? []);
    const leases = held.all().map((t): { task_id: string; lease_token: string; waiting_for_nodes?: boolean; waiting_for_launch?: boolean } => ({
      task_id: t.lease.task_id,
      lease_token: t.lease.lease_token,
      ...(waitingForNodes.has(t.lease.task_id) ? { waiting_for_nodes: true } : t.phase === 'queued' ? { waiting_for_launch: true } : {}),
    }));
    const sentTokens = new Map(leases.map((l) => [l.task_id, l.lease_token]));
    const report = {
      total_workers: executorStats.totalWorkers,
      idle_workers: executorStats.idleWorkers,
      outstanding_tasks: counts.held,
      pending_tasks: counts.queued,
      hostname: os.hostname(),
      runtimes: (await executor.runtimes()).filter((r) => settings.runtimes.includes(r.name as never)),
      details: {
        provider: settings.provider.type,
        running: counts.running,
        reporting: counts.reporting,
        unacknowledged_results: this.deps.unacknowledged(),
        prefetch: room.prefetch(),
        ...(settings.prefetch === 'auto' ? { prefetch_observed: this.deps.tuner.observed() } : {}),
        ...executor.details?.(),
        ...(this.deps.audit?.failureReason ? { state: 'failed', failure: this.deps.audit.failureReason } : {}),
      },
    };
    const reportText = JSON.stringify(report);
    const sentAt = Date.now();
    if (pollStandsIn({
      poll: this.deps.openPoll(), pollWaitMs: settings.pollWaitMs, last: this.#last, report: reportText,
      leases: leases.length, unacknowledged: this.deps.unacknowledged(), now: sentAt,
    })) return;
    const answer = await client.heartbeat(credential, endpointId, { ...report, leases });
    this.#last = { at: sentAt, report: reportText };
    this.learnLeaseSeconds(answer.lease_seconds);
    this.#reportedWaiting = new Set(leases.filter((l) => l.waiting_for_nodes).map((l) => l.task_id));
    for (const taskId of [...answer.cancel, ...answer.lost]) {
      const task = held.get(taskId);
      if (!task) continue;
      // "lost" speaks of the lease this heartbeat listed: a task lost, retried and leased here
      // again while the heartbeat was in flight holds a new lease, which is not lost.
      if (!answer.cancel.includes(taskId) && task.lease.lease_token !== sentTokens.get(taskId)) continue;
      // Never run (or keep running) a task whose lease is gone: someone else may have it.
      this.deps.drop(task, answer.cancel.includes(taskId) ? 'cancelled' : 'lease lost');
    }
  }
}
