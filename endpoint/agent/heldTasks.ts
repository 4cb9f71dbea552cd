/**
 * The tasks the agent holds, from lease until the service acknowledges the result or the lease
 * goes back: the only owner of that map. Every loop (lease, run, results, heartbeat, hoard
 * check, cancel watch, stop) reads it here and changes a task only through the named methods
 * below; the fields a loop sees are read-only.
 *
 * A task's phase moves one way: queued (leased, waiting for a worker) → running → reporting
 * (its result in the outbox) → gone (acknowledged). Two marks, which never clear, say what
 * becomes of it when it leaves its worker or the queue:
 * - dropped: no longer ours (cancelled, lease lost, superseded by a new attempt, or already
 *   handed back by the hoard check or a failed audit log): stopped, forgotten, never reported;
 * - handBack: stopping, or it may not start unaudited: its lease goes back, not a result.
 * While held, a task's lease is listed in heartbeats (so renewed) and in reconciles.
 */
import type { EndpointLeaseResponse } from '@funcx-ts/shared/wire/endpoint-lease-response.js';
import { heldPayloadChars } from '../leaseBudget.js';

export type LeasedTask = EndpointLeaseResponse['tasks'][number];
export type LeasedFunction = EndpointLeaseResponse['functions'][string];
export type HeldPhase = 'queued' | 'running' | 'reporting';

export interface HeldTask {
  readonly lease: LeasedTask;
  readonly fn: LeasedFunction | undefined;
  /** Aborted when the task must stop (dropped, handed back while running, a second stop). */
  readonly signal: AbortSignal;
  readonly phase: HeldPhase;
  /** performance.now() when leased, and when it started on a worker. */
  readonly leasedAt: number;
  readonly startedAt: number;
  readonly dropped: boolean;
  readonly handBack: boolean;
}

/** A phase change the agent never makes (a task started twice, a result for a task not run): a bug. */
export class IllegalPhaseChange extends Error {
  readonly code = 'IllegalPhaseChange';
  constructor(readonly taskId: string, readonly from: HeldPhase, readonly to: HeldPhase) {
    super(`task ${taskId}: no phase change from ${from} to ${to}`);
  }
}

/** What hold() did with a lease. */
export type Holding =
  | { held: HeldTask; superseded?: HeldTask }
  | { held: undefined; duplicate: HeldTask };

interface Entry {
  lease: LeasedTask;
  fn: LeasedFunction | undefined;
  controller: AbortController;
  signal: AbortSignal;
  phase: HeldPhase;
  leasedAt: number;
  startedAt: number;
  dropped: boolean;
  handBack: boolean;
}

export class HeldTasks {
  readonly #tasks = new Map<string, Entry>();

  get size(): number {
    return this.#tasks.size;
  }

  get(taskId: string): HeldTask | undefined {
    return this.#tasks.get(taskId);
  }

  /** A snapshot, in the order held: changes made while iterating it do not disturb it. */
  all(): HeldTask[] {
    return [...this.#tasks.values()];
  }

  inPhase(phase: HeldPhase): HeldTask[] {
    return this.all().filter((t) => t.phase === phase);
  }

  counts(): { held: number; queued: number; running: number; reporting: number } {
    let queued = 0;
    let running = 0;
    let reporting = 0;
    for (const task of this.#tasks.values()) {
      if (task.phase === 'queued') queued += 1;
      else if (task.phase === 'running') running += 1;
      else reporting += 1;
    }
    return { held: this.#tasks.size, queued, running, reporting };
  }

  /** Tasks that take room: queued or running (a reporting task's worker is free). */
  occupied(): number {
    let occupied = 0;
    for (const task of this.#tasks.values()) if (task.phase !== 'reporting') occupied += 1;
    return occupied;
  }

  /** How long each running task has run (ms), for prefetch: auto. */
  runningAges(now: number): number[] {
    const ages: number[] = [];
    for (const task of this.#tasks.values()) if (task.phase === 'running') ages.push(now - task.startedAt);
    return ages;
  }

  /** Queued and still ours to run: not dropped, not marked to go back. */
  waitingToStart(): HeldTask[] {
    return this.all().filter((t) => t.phase === 'queued' && !t.dropped && !t.handBack);
  }

  /** The ids the cancel watch asks about: not already being stopped, no result yet. */
  watched(): string[] {
    return this.all().filter((t) => !t.dropped && t.phase !== 'reporting').map((t) => t.lease.task_id);
  }

  /** The payload characters of tasks queued or running (leaseBudget.ts). */
  payloadChars(): number {
    return heldPayloadChars(this.#tasks.values());
  }

  /**
   * Holds a new lease (queued). The same lease twice is refused (`duplicate`); a new attempt of a
   * task still held supersedes it: the old attempt is dropped (stopped, never reported).
   */
  hold(lease: LeasedTask, fn: LeasedFunction | undefined, now: number): Holding {
    const earlier = this.#tasks.get(lease.task_id);
    if (earlier && earlier.lease.lease_token === lease.lease_token) return { held: undefined, duplicate: earlier };
    if (earlier) {
      earlier.dropped = true;
      earlier.controller.abort();
    }
    const controller = new AbortController();
    const task: Entry = { lease, fn, controller, signal: controller.signal, phase: 'queued', leasedAt: now, startedAt: now, dropped: false, handBack: false };
    this.#tasks.set(lease.task_id, task);
    return earlier ? { held: task, superseded: earlier } : { held: task };
  }

  /** queued → running, on a worker from `now`. */
  started(task: HeldTask, now: number): void {
    const entry = this.#move(task, 'queued', 'running');
    entry.startedAt = now;
  }

  /** running → reporting: its result is in the outbox. */
  finished(task: HeldTask): void {
    this.#move(task, 'running', 'reporting');
  }

  /** The service acknowledged (or refused for good) the result of `attempt`: no longer held, unless a newer attempt is. */
  resultSettled(taskId: string, attempt: number): void {
    const held = this.#tasks.get(taskId);
    if (held && held.lease.attempt === attempt) this.#tasks.delete(taskId);
  }

  /** Stops holding this attempt (its lease went back, or it was dropped), unless a newer attempt has taken its place. */
  forget(task: HeldTask): void {
    if (this.#tasks.get(task.lease.task_id) === task) this.#tasks.delete(task.lease.task_id);
  }

  /**
   * The service says the task is cancelled or its lease is lost: stop it, never report it. A task
   * already reporting is forgotten at once (its result is dropped by the service). False when it
   * was dropped already (told twice: the cancel watch, then a heartbeat).
   */
  drop(task: HeldTask): boolean {
    const entry = this.#entry(task);
    if (entry.dropped) return false;
    entry.dropped = true;
    entry.controller.abort();
    if (entry.phase === 'reporting') this.#tasks.delete(entry.lease.task_id);
    return true;
  }

  /**
   * Its lease is handed back now, before it ran (hoard check, audit log failure): when the queue
   * reaches it, it is only forgotten, so it goes back once.
   */
  givenBack(task: HeldTask): void {
    const entry = this.#entry(task);
    entry.dropped = true;
    entry.controller.abort();
  }

  /** Give its lease back instead of reporting a result; `stop` also aborts it (grace period over). */
  markHandBack(task: HeldTask, stop = false): void {
    const entry = this.#entry(task);
    entry.handBack = true;
    if (stop) entry.controller.abort();
  }

  /** A second stop: every task is aborted; those without a result go back (abandoned, not failed). */
  abandonAll(): void {
    for (const entry of this.#tasks.values()) {
      if (entry.phase !== 'reporting') entry.handBack = true;
      entry.controller.abort();
    }
  }

  #move(task: HeldTask, from: HeldPhase, to: HeldPhase): Entry {
    const entry = this.#entry(task);
    if (entry.phase !== from) throw new IllegalPhaseChange(entry.lease.task_id, entry.phase, to);
    entry.phase = to;
    return entry;
  }

  /** Tasks come only from hold(): the entry behind a HeldTask is the object itself. */
  #entry(task: HeldTask): Entry {
    return task as Entry;
  }
}
