/**
 * The endpoint agent's own Prometheus metrics, on an optional local port
 * (config.yaml metrics_port / metrics_host; see docs/metrics.md). Read at
 * scrape time from the agent and its executor, plus two wrappers that count as
 * things happen: around the service client (round-trip times, results posted)
 * and around the result spool (results written to disk). The agent's code is
 * untouched: it is handed the wrapped client and spool.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from './logger.js';
import { dropMisnamedDefaults } from '@funcx-ts/shared/metrics/defaultMetrics.js';
import type { AgentStats } from './agent/index.js';
import type { ServiceClient } from './client.js';
import type { Executor } from './execution.js';
import type { ResultSpool } from './spool.js';

const ROUND_TRIP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Client calls that are timed; a lease is a long-poll, so its time includes the wait for work. */
const CALLS = ['lease', 'postResults', 'heartbeat', 'release', 'register'] as const;

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly roundTrip: Histogram<'call' | 'outcome'>;
  private readonly posted: Counter<'outcome'>;
  private readonly spooled: Counter;

  constructor(private readonly endpointId: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ endpoint: endpointId });
    collectDefaultMetrics({ register: this.registry });
    dropMisnamedDefaults(this.registry);
    this.roundTrip = new Histogram({ name: 'funcx_endpoint_service_request_duration_seconds', help: 'Round trip of calls to the service (lease includes its long-poll wait), by call and outcome (ok or error).', labelNames: ['call', 'outcome'], buckets: ROUND_TRIP_SECONDS, registers });
    this.posted = new Counter({ name: 'funcx_endpoint_results_posted_total', help: 'Results the service answered for, by its answer (stored, duplicate, requeued, rejected).', labelNames: ['outcome'], registers });
    this.spooled = new Counter({ name: 'funcx_endpoint_results_spooled_total', help: 'Results written to the on-disk spool: those the service could not take when they were ready (an outage, or stopping).', registers });
  }

  /** Wraps the client's calls in place: times each, and counts the answers to posted results. */
  instrumentClient(client: ServiceClient): ServiceClient {
    for (const call of CALLS) {
      const original = (client[call] as (...args: unknown[]) => Promise<unknown>).bind(client);
      (client as unknown as Record<string, unknown>)[call] = async (...args: unknown[]) => {
        const end = this.roundTrip.startTimer({ call });
        try {
          const answer = await original(...args);
          end({ outcome: 'ok' });
          if (call === 'postResults') for (const r of (answer as { results: { outcome: string }[] }).results) this.posted.inc({ outcome: r.outcome });
          return answer;
        } catch (error) {
          end({ outcome: 'error' });
          throw error;
        }
      };
    }
    return client;
  }

  instrumentSpool(spool: ResultSpool): ResultSpool {
    const write = spool.write.bind(spool);
    spool.write = (result) => {
      write(result);
      this.spooled.inc();
    };
    return spool;
  }

  /** Gauges read from the agent and executor at each scrape. */
  observe(agent: { stats(): AgentStats }, executor: Executor): void {
    const registers = [this.registry];
    new Gauge({
      name: 'funcx_endpoint_tasks', help: 'Tasks the endpoint holds (leased, result not yet acknowledged), by phase: queued, running, reporting.', labelNames: ['phase'], registers,
      collect() {
        const stats = agent.stats();
        this.set({ phase: 'queued' }, stats.queued);
        this.set({ phase: 'running' }, stats.running);
        this.set({ phase: 'reporting' }, stats.reporting);
      },
    });
    new Gauge({
      name: 'funcx_endpoint_tasks_held', help: 'Tasks the endpoint holds a lease on (all phases).', registers,
      collect() {
        this.set(agent.stats().held);
      },
    });
    new Gauge({
      name: 'funcx_endpoint_results_unacknowledged', help: 'Results spooled and not yet acknowledged by the service.', registers,
      collect() {
        this.set(agent.stats().outbox);
      },
    });
    new Gauge({
      name: 'funcx_endpoint_connected', help: '1 while the last call to the service succeeded.', registers,
      collect() {
        this.set(agent.stats().connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'funcx_endpoint_worker_slots', help: 'Worker slots, busy or idle (with blocks: slots of connected managers).', labelNames: ['state'], registers,
      collect() {
        const stats = executor.stats();
        this.set({ state: 'busy' }, stats.totalWorkers - stats.idleWorkers);
        this.set({ state: 'idle' }, stats.idleWorkers);
      },
    });
    // Declared whichever executor runs (dashboards find them); filled only where the executor knows.
    new Gauge({
      name: 'funcx_endpoint_worker_processes', help: 'Live local worker processes, by runtime (pools start workers on demand).', labelNames: ['runtime'], registers,
      collect() {
        for (const [runtime, n] of Object.entries(executor.workerProcesses?.() ?? {})) this.set({ runtime }, n);
      },
    });
    new Gauge({
      name: 'funcx_endpoint_blocks', help: 'Blocks (scheduler jobs running worker managers), by state; with a block provider only.', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const block of executor.details?.().blocks ?? []) this.inc({ state: block.state });
      },
    });
  }

  /** Serves GET /metrics; resolves with the bound address. Only /metrics answers. */
  async listen(host: string, port: number, log: Logger): Promise<{ url: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: unknown) => {
          log.error({ err: error }, 'metrics scrape failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`;
    log.info({ url, endpointId: this.endpointId }, 'endpoint metrics listening');
    return {
      url,
      close: () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    };
  }
}
