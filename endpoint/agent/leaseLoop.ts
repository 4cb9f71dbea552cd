/**
 * The lease loop: long-polls the service for as many tasks as there is room for (room.ts), within
 * the lease byte budget (leaseBudget.ts), and hands them to the task runner. With no room it
 * sleeps until woken (a task settled, capacity grew, the audit log works again).
 *
 * Leases held by nobody: each run has a session id (session.ts) that its lease calls carry.
 * Before its first lease the loop tells the service every lease it holds, naming its session and
 * the previous run's in this endpoint folder; before the next lease after a lease call failed
 * (its answer may be lost), it does the same for its own session only. The service returns those
 * sessions' other leases to the queue at once (leaseReconcile.ts): a run killed with -9, or a
 * service killed right after it leased, costs no lease timeout, and another agent of the same
 * endpoint id keeps its own leases.
 *
 * Stopping: the loop ends; the poll in flight is asked to end rather than hung up on (its answer
 * would be lost), and what it still brings is handed back (pollEnd.ts). A poll that had to be
 * aborted is reconciled before exit.
 */
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { Backoff } from '../backoff.js';
import { ServiceRejected } from '../errors.js';
import { MAX_LEASE_TASKS, type ServiceClient } from '../client.js';
import type { SpooledResult } from '../spool.js';
import type { AuditLog } from '../auditLog.js';
import type { EndpointSettings } from '../config.js';
import type { AgentSession } from '../session.js';
import { leaseByteBudget } from '../leaseBudget.js';
import { heldLeases } from '../leaseReconcile.js';
import { endPollInFlight } from '../pollEnd.js';
import type { EndpointLeaseResponse } from '@funcx-ts/shared/wire/endpoint-lease-response.js';
import type { HandBacks } from './handBacks.js';
import type { HeldTasks, LeasedFunction, LeasedTask } from './heldTasks.js';
import type { Room } from './room.js';
import type { ServiceConnection } from './serviceConnection.js';
import type { OpenPoll } from './pollStandsIn.js';

/** Stopping: how long the poll in flight gets to answer once asked to end, before it is aborted. */
export const POLL_END_BOUND_MS = 5_000;
/** Stopping after the poll had to be aborted: how long the reconcile that returns its leases may take. */
export const RECONCILE_BEFORE_EXIT_MS = 5_000;

export interface LeaseLoopDeps {
  client: ServiceClient;
  credential: string;
  endpointId: string;
  settings: EndpointSettings;
  session: AgentSession;
  audit?: AuditLog;
  held: HeldTasks;
  room: Room;
  connection: ServiceConnection;
  handBacks: HandBacks;
  /** Results not yet acknowledged: their leases are still held (reconciles list them). */
  unacknowledged: () => readonly SpooledResult[];
  /** The service's lease length, from a lease answer. */
  learnLeaseSeconds: (leaseSeconds: number | undefined) => void;
  /** A leased task, to hold and run. */
  accept: (lease: LeasedTask, fn: LeasedFunction | undefined) => void;
  /** Aborted when the agent stops leasing (the loop ends). */
  leasing: AbortSignal;
  log: Logger;
}

export class LeaseLoop {
  /** Aborts the lease poll's connection: a second stop, or a poll that would not end (pollEnd.ts). */
  readonly #pollAbort = new AbortController();
  /** The lease call in flight. */
  #poll: Promise<unknown> | undefined;
  /** Tell the service which leases are held before the next lease (start; a lease call failed). */
  #reconcileBeforeLease = true;
  /** A poll was aborted while stopping: its answer may be lost, so reconcile before exit. */
  #reconcileBeforeExit = false;
  /** Earlier runs' sessions, named in reconciles until one succeeds. */
  #previousSessions: readonly string[];
  #roomFreed: (() => void) | undefined;
  /** The poll in flight, when it began, and whether the service said polls stand for heartbeats (pollStandsIn.ts). */
  #openPoll: OpenPoll | undefined;
  /** The last lease answer's idle_heartbeat_s. */
  #idleHeartbeatS: number | undefined;

  constructor(private readonly deps: LeaseLoopDeps) {
    this.#previousSessions = deps.session.previous;
  }

  /** Room may have freed (a task settled, capacity grew, the audit log works again): look again. */
  wake(): void {
    const wake = this.#roomFreed;
    this.#roomFreed = undefined;
    wake?.();
  }

  /** The lease poll open now, if any (pollStandsIn.ts). */
  openPoll(): OpenPoll | undefined {
    return this.#openPoll;
  }

  /** Stopping gracefully: asks the service to end the poll in flight, if any. */
  endPoll(): void {
    if (this.#poll) void this.#endPoll(this.#poll);
  }

  /** Stopping now: the poll's connection is cut. */
  hangUp(): void {
    this.#pollAbort.abort();
  }

  async run(): Promise<void> {
    const { client, credential, endpointId, settings, held, room, connection, leasing, audit } = this.deps;
    const backoff = new Backoff();
    while (!leasing.aborted) {
      // First, even with no room: the leases it returns wait for nobody.
      if (this.#reconcileBeforeLease) {
        if (!(await this.#reconcile(backoff))) break;
        continue;
      }
      if (audit && !audit.writable) {
        await audit.whenWritable(leasing);
        continue;
      }
      const free = room.free();
      // Payloads held fill the lease byte budget (leaseBudget.ts) as tasks fill the room.
      const maxBytes = leaseByteBudget(held.payloadChars());
      if (free <= 0 || maxBytes <= 0) {
        await new Promise<void>((resolve) => (this.#roomFreed = resolve));
        continue;
      }
      try {
        // More room than one request may ask for is filled over several polls.
        this.#poll = client.lease(credential, endpointId, Math.min(free, MAX_LEASE_TASKS), settings.pollWaitMs, this.#pollAbort.signal, this.deps.session.id, maxBytes);
        this.#openPoll = { startedAt: Date.now(), idleHeartbeatS: this.#idleHeartbeatS };
        const response = (await this.#poll) as EndpointLeaseResponse;
        connection.succeeded('lease', backoff);
        this.deps.learnLeaseSeconds(response.lease_seconds);
        this.#idleHeartbeatS = response.idle_heartbeat_s;
        if (leasing.aborted) {
          // Stopped while this poll was out: what it brings is not run, but handed back at once.
          this.deps.handBacks.release(response.tasks.map((t) => ({ task_id: t.task_id, lease_token: t.lease_token })));
          break;
        }
        for (const lease of response.tasks) this.deps.accept(lease, response.functions[lease.function_id]);
        // The tasks just accepted reach their workers first (their dispatch runs in microtasks): the
        // next poll's request, written at once, would be on a lone task's way to its worker. This
        // poll is over: a stop meanwhile has no poll to end.
        this.#poll = undefined;
        this.#openPoll = undefined;
        if (response.tasks.length > 0) await new Promise((resolve) => setImmediate(resolve));
      } catch (error) {
        // The service may have leased tasks into an answer that never arrived.
        this.#reconcileBeforeLease = true;
        if (leasing.aborted) break;
        if (!(await connection.retryLater(error, 'lease', backoff, leasing))) break;
      } finally {
        this.#poll = undefined;
        this.#openPoll = undefined;
      }
    }
  }

  /** After the loop: a poll aborted while stopping may have lost leases; tell the service what is held. */
  async reconcileBeforeExit(): Promise<void> {
    if (this.#reconcileBeforeExit) await this.#reconcileOnce();
  }

  /** Asks the service to end the poll in flight (not hanging up: its answer would be lost). */
  async #endPoll(poll: Promise<unknown>): Promise<void> {
    const { client, credential, endpointId, session, log } = this.deps;
    const how = await endPollInFlight({
      poll,
      ask: () => client.endPolls(credential, endpointId, session.id),
      abort: () => {
        this.#reconcileBeforeExit = true;
        this.#pollAbort.abort();
      },
      boundMs: POLL_END_BOUND_MS,
    });
    if (how === 'aborted') log.warn('the lease poll did not end when asked; aborted it (its leases are reconciled before exit)');
  }

  /** Tells the service every lease held (leaseReconcile.ts); false when the loop must end. */
  async #reconcile(backoff: Backoff): Promise<boolean> {
    const { connection, leasing } = this.deps;
    try {
      await this.#reconcileOnce(true);
      connection.succeeded('reconcile', backoff);
      return true;
    } catch (error) {
      if (leasing.aborted) return false;
      if (!connection.failed(error, 'reconcile')) return false;
      // A refusal will not change on retry (failed() said so loudly): lease without it.
      if (error instanceof ServiceRejected) this.#reconcileBeforeLease = false;
      else await backoff.wait(error, leasing);
      return !leasing.aborted;
    }
  }

  async #reconcileOnce(rethrow = false): Promise<void> {
    const { client, credential, endpointId, session, held, log } = this.deps;
    try {
      const leases = heldLeases(held.all(), this.deps.unacknowledged());
      const previous = [...this.#previousSessions];
      const { released } = await client.reconcile(credential, endpointId, { session: session.id, previous }, leases, rethrow ? undefined : RECONCILE_BEFORE_EXIT_MS);
      this.#reconcileBeforeLease = false;
      if (previous.length > 0) {
        this.#previousSessions = [];
        session.reconciled();
      }
      if (released.length > 0) log.info({ released: released.length, previousSessions: previous.length }, 'leases this agent no longer held (its previous run\'s, or a lost lease answer\'s) returned to the queue');
    } catch (error) {
      if (rethrow) throw error;
      log.warn({ err: asError(error) }, 'could not reconcile leases before exit; any lease lost with the aborted poll will expire');
    }
  }
}
