/**
 * Queue depth per endpoint and state without a scan per scrape: one grouped
 * query over unfinished tasks (tasks_reap_idx leads with state, so finished
 * rows are never read), reused for `refreshMs`; concurrent scrapes share one
 * query in flight. A failed refresh keeps the last answer (and is reported by
 * funcx_metrics_queue_depth_refresh_failures_total) rather than failing the scrape.
 */
import type { Knex } from 'knex';
import { RUNNING, WAITING, WAITING_FOR_NODES } from '../ledger/model.js';

export interface DepthRow {
  endpointId: string;
  state: typeof WAITING | typeof WAITING_FOR_NODES | typeof RUNNING;
  count: number;
}

export class QueueDepth {
  private rows: DepthRow[] = [];
  private readAt = -Infinity;
  private inFlight: Promise<DepthRow[]> | undefined;
  failures = 0;

  constructor(private readonly db: Knex, private readonly refreshMs: number) {}

  async current(): Promise<DepthRow[]> {
    if (performance.now() - this.readAt < this.refreshMs) return this.rows;
    this.inFlight ??= this.read().then(
      (rows) => {
        this.rows = rows;
        this.readAt = performance.now();
        return rows;
      },
      () => {
        this.failures += 1;
        return this.rows;
      },
    ).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async read(): Promise<DepthRow[]> {
    const rows: { endpoint_id: string; state: string; for_nodes: number | string; n: number | string }[] = await this.db('tasks')
      .select('endpoint_id', 'state')
      .select(this.db.raw('CASE WHEN waiting_for_nodes_since IS NULL THEN 0 ELSE 1 END AS for_nodes'))
      .count({ n: '*' })
      .whereIn('state', [WAITING, RUNNING])
      .groupBy('endpoint_id', 'state', 'for_nodes');
    return rows.map((row) => ({
      endpointId: row.endpoint_id,
      // As the task API reports it: a running task whose endpoint waits for nodes is waiting-for-nodes.
      state: row.state === RUNNING && Number(row.for_nodes) === 1 ? WAITING_FOR_NODES : (row.state as typeof WAITING | typeof RUNNING),
      count: Number(row.n),
    }));
  }
}
