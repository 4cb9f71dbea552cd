/**
 * The service's Prometheus metrics: one registry per running service (tests
 * run several in one process), filled by a few hooks where things happen
 * (submit, lease, results, the reaper, HTTP) and by collectors read at scrape
 * time (queue depth, long-poll waiters, the database pool, transaction retries,
 * the process). Names and labels are documented in docs/metrics.md.
 *
 * Label cardinality is bounded: routes are the router's templates (never raw
 * paths), endpoints go through EndpointLabels (FUNCX_METRICS_MAX_ENDPOINTS, then
 * "other"), and no metric is labelled by task, task group, function or user.
 */
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config.js';
import type { LeasedTask } from '../ledger/leaseTasks.js';
import type { Completed, PostedResult } from '../ledger/completeTasks.js';
import type { Reaped } from '../ledger/reapExpiredLeases.js';
import type { NewTask } from '../ledger/submitTasks.js';
import { RUNNING, WAITING, WAITING_FOR_NODES } from '../ledger/model.js';
import { transactionRetries } from '../db/transaction.js';
import { EndpointLabels } from './endpointLabels.js';
import { QueueDepth } from './queueDepth.js';
import { dropMisnamedDefaults } from '@funcx-ts/shared/metrics/defaultMetrics.js';

export { dropMisnamedDefaults };

/** Seconds: from a fast local task (ms) to a day in a batch queue. */
const TASK_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
const HTTP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Bytes: 64 B to 512 MB, by powers of 4. */
const BYTES = Array.from({ length: 12 }, (_, i) => 64 * 4 ** i);

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly endpoints: EndpointLabels;
  private readonly queueDepth: QueueDepth;

  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly longPollWaiters = new Map<'lease' | 'wait', number>([['lease', 0], ['wait', 0]]);
  private readonly submitted: Counter<'endpoint'>;
  private readonly leased: Counter<'endpoint'>;
  private readonly completed: Counter<'endpoint' | 'status'>;
  private readonly retries: Counter<'reason'>;
  private readonly leaseExpiries: Counter<'outcome'>;
  private readonly queuedSeconds: Histogram;
  private readonly runSeconds: Histogram;
  private readonly turnaroundSeconds: Histogram;
  private readonly payloadBytes: Histogram;
  private readonly resultBytes: Histogram;

  constructor(config: Config, db: Knex) {
    const registers = [this.registry];
    this.endpoints = new EndpointLabels(config.metricsMaxEndpoints);
    this.queueDepth = new QueueDepth(db, config.metricsQueueRefresh);
    collectDefaultMetrics({ register: this.registry });
    dropMisnamedDefaults(this.registry);

    this.httpRequests = new Counter({ name: 'funcx_http_requests_total', help: 'HTTP requests answered, by route template and status.', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({ name: 'funcx_http_request_duration_seconds', help: 'Time to answer an HTTP request (long-polls included), by route template.', labelNames: ['method', 'route'], buckets: HTTP_SECONDS, registers });
    this.submitted = new Counter({ name: 'funcx_tasks_submitted_total', help: 'Tasks accepted into the ledger (idempotent replays not counted), by endpoint.', labelNames: ['endpoint'], registers });
    this.leased = new Counter({ name: 'funcx_tasks_leased_total', help: 'Task attempts handed to endpoints, by endpoint.', labelNames: ['endpoint'], registers });
    this.completed = new Counter({ name: 'funcx_tasks_completed_total', help: 'Tasks that reached success or failed (including failures after the last retry), by endpoint.', labelNames: ['endpoint', 'status'], registers });
    this.retries = new Counter({ name: 'funcx_task_retries_total', help: 'Lost attempts put back in the queue: EndpointLost (lease expired) or WorkerLost (reported by the endpoint).', labelNames: ['reason'], registers });
    this.leaseExpiries = new Counter({ name: 'funcx_lease_expiries_total', help: 'Leases that ran out without a heartbeat, by what became of the task (requeued or failed).', labelNames: ['outcome'], registers });
    this.queuedSeconds = new Histogram({ name: 'funcx_task_queued_seconds', help: 'From submit to an endpoint leasing the task (each attempt).', buckets: TASK_SECONDS, registers });
    this.runSeconds = new Histogram({ name: 'funcx_task_run_seconds', help: 'From lease to result (the attempt that finished the task).', buckets: TASK_SECONDS, registers });
    this.turnaroundSeconds = new Histogram({ name: 'funcx_task_turnaround_seconds', help: 'From submit to result stored.', buckets: TASK_SECONDS, registers });
    this.payloadBytes = new Histogram({ name: 'funcx_task_payload_bytes', help: 'Serialized payload size of submitted tasks.', buckets: BYTES, registers });
    this.resultBytes = new Histogram({ name: 'funcx_task_result_bytes', help: 'Serialized result size of stored successes.', buckets: BYTES, registers });

    const queueDepth = this.queueDepth;
    const endpoints = this.endpoints;
    new Gauge({
      name: 'funcx_queue_depth', help: `Unfinished tasks by endpoint and state (${WAITING}, ${WAITING_FOR_NODES}, ${RUNNING}); read at most every FUNCX_METRICS_QUEUE_REFRESH.`,
      labelNames: ['endpoint', 'state'], registers,
      async collect() {
        this.reset();
        for (const row of await queueDepth.current()) this.inc({ endpoint: endpoints.of(row.endpointId), state: row.state }, row.count);
      },
    });
    new Counter({
      name: 'funcx_metrics_queue_depth_refresh_failures_total', help: 'Queue depth reads that failed (the last answer was kept).', registers,
      collect() {
        this.reset();
        this.inc(queueDepth.failures);
      },
    });
    const waiters = this.longPollWaiters;
    new Gauge({
      name: 'funcx_long_poll_waiters', help: 'Requests now waiting in a long-poll: endpoint leases and clients waiting for tasks.', labelNames: ['kind'], registers,
      collect() {
        for (const [kind, n] of waiters) this.set({ kind }, n);
      },
    });
    const pool = (db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
    new Gauge({
      name: 'funcx_db_pool_connections', help: 'Database pool connections: used, free, and requests waiting for one (pending).', labelNames: ['state'], registers,
      collect() {
        if (!pool) return;
        this.set({ state: 'used' }, pool.numUsed());
        this.set({ state: 'free' }, pool.numFree());
        this.set({ state: 'pending' }, pool.numPendingAcquires());
      },
    });
    new Counter({
      name: 'funcx_db_transaction_retries_total', help: 'Transactions retried after a deadlock, lock-wait timeout or SQLITE_BUSY (this process).', labelNames: ['reason'], registers,
      collect() {
        this.reset();
        for (const [reason, n] of transactionRetries) this.inc({ reason }, n);
      },
    });
  }

  /** After a submit's insert; a replay inserted nothing. */
  tasksSubmitted(tasks: readonly NewTask[], replayed: boolean): void {
    if (replayed) return;
    for (const task of tasks) {
      this.submitted.inc({ endpoint: this.endpoints.of(task.endpointId) });
      this.payloadBytes.observe(Buffer.byteLength(task.payload));
    }
  }

  tasksLeased(endpointId: string, tasks: readonly LeasedTask[], now = Date.now()): void {
    if (tasks.length === 0) return;
    this.leased.inc({ endpoint: this.endpoints.of(endpointId) }, tasks.length);
    for (const task of tasks) if (task.createdAt != null) this.queuedSeconds.observe(Math.max(0, now - task.createdAt) / 1000);
  }

  resultsStored(endpointId: string, results: readonly PostedResult[], completed: Completed, now = Date.now()): void {
    const endpoint = this.endpoints.of(endpointId);
    for (const outcome of completed.outcomes) if (outcome.outcome === 'requeued') this.retries.inc({ reason: 'WorkerLost' });
    const posted = new Map(results.map((r) => [r.task_id, r]));
    for (const finished of completed.timings ?? []) {
      this.completed.inc({ endpoint, status: finished.state });
      this.turnaroundSeconds.observe(Math.max(0, now - finished.createdAt) / 1000);
      if (finished.leasedAt != null) this.runSeconds.observe(Math.max(0, now - finished.leasedAt) / 1000);
      const result = posted.get(finished.taskId)?.result;
      if (finished.state === 'success' && result !== undefined) this.resultBytes.observe(Buffer.byteLength(result));
    }
  }

  leasesReaped(reaped: Reaped): void {
    this.leaseExpiries.inc({ outcome: 'requeued' }, reaped.requeued.length);
    this.leaseExpiries.inc({ outcome: 'failed' }, reaped.failed.length);
    this.retries.inc({ reason: 'EndpointLost' }, reaped.requeued.length);
    for (const { endpointId } of reaped.failed) this.completed.inc({ endpoint: this.endpoints.of(endpointId), status: 'failed' });
  }
}
