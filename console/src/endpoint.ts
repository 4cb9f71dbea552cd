/**
 * Endpoints: the list, and one endpoint's page — its state and why (online,
 * offline, lost, failed, with the service's explanation), its blocks, workers
 * and queue, charts of its last hour (GET /v3/endpoints/{id}/activity) and its
 * heartbeat log. Both refresh every 5 s while open.
 */
import { api, type ApiError } from './api.js';
import { badge, h, table, when } from './dom.js';
import { lineChart } from './chart.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REFRESH_MS = 5000;

const problem = (error: unknown) => h('p', { class: 'error', 'data-error': (error as ApiError).code ?? 'Error' }, `${(error as ApiError).code ?? 'Error'}: ${(error as ApiError).reason ?? String(error)}`);

function every(ms: number, job: () => Promise<void>): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await job();
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  })();
  return () => (stopped = true);
}

export function endpointsView(view: HTMLElement): () => void {
  const out = h('div');
  view.replaceChildren(h('h1', {}, 'Endpoints'), out);
  return every(REFRESH_MS, async () => {
    try {
      const { endpoints } = await api<Json>('GET', '/v3/endpoints?role=any');
      out.replaceChildren(table(['name', 'status', 'owner', 'id'], (endpoints as Json[]).map((e) => [h('a', { href: `#/endpoints/${e.endpoint_id}` }, e.display_name || e.name), badge(e.status), e.owner, e.endpoint_id])));
    } catch (error) {
      out.replaceChildren(problem(error));
    }
  });
}

/** The two charts of the endpoint page, from one activity answer. */
export function activityCharts(activity: Json): HTMLElement {
  const buckets = activity.buckets as Json[];
  const times = buckets.map((b) => b.t as string);
  const pick = (key: string) => buckets.map((b) => (b[key] === null ? null : Number(b[key])));
  return h('div', { class: 'charts' },
    lineChart({
      id: 'chart-workers', title: 'Workers, last hour', unit: 'workers', times,
      series: [
        { key: 'workers_busy', label: 'busy', values: pick('workers_busy'), dash: 'solid', marker: 'circle', colour: '#1d3557' },
        { key: 'workers_idle', label: 'idle', values: pick('workers_idle'), dash: 'dashed', marker: 'square', colour: '#2a9d8f' },
      ],
    }),
    lineChart({
      id: 'chart-tasks', title: 'Tasks, last hour', unit: 'tasks', times,
      series: [
        { key: 'queued', label: 'queued', values: pick('queued'), dash: 'solid', marker: 'circle', colour: '#6a4c93' },
        { key: 'finished', label: 'finished per minute', values: pick('finished'), dash: 'dashed', marker: 'triangle', colour: '#2a9d8f', counts: true },
        { key: 'failed', label: 'failed per minute', values: pick('failed'), dash: 'dotted', marker: 'cross', colour: '#b00020', counts: true },
      ],
    }));
}

export function endpointView(view: HTMLElement, endpointId: string): () => void {
  const out = h('div');
  const charts = h('div', { id: 'endpoint-charts' });
  const history = h('div');
  view.replaceChildren(h('h1', {}, 'Endpoint ', h('code', {}, endpointId)), out, charts, history);
  return every(REFRESH_MS, async () => {
    try {
      const s = await api<Json>('GET', `/v3/endpoints/${endpointId}/status`);
      const full = s.total_workers !== undefined;
      const state = (s.state ?? s.status) as string;
      out.replaceChildren(
        h('dl', {},
          h('dt', {}, 'state'), h('dd', { id: 'endpoint-state' }, badge(state), s.state_since ? ` since ${when(s.state_since)}` : ''),
          ...(s.state_detail ? [h('dt', {}, 'why'), h('dd', { id: 'endpoint-state-detail' }, s.state_detail)] : []),
          h('dt', {}, 'workers'), h('dd', {}, full ? `${s.idle_workers} idle of ${s.total_workers}` : '—'),
          h('dt', {}, 'queue'), h('dd', {}, s.outstanding_tasks === undefined ? '—' : `${s.outstanding_tasks} held, ${s.pending_tasks} pending`),
          h('dt', {}, 'last heartbeat'), h('dd', {}, when(s.last_heartbeat_at))),
        ...(Array.isArray(s.blocks) && s.blocks.length > 0
          ? [h('h2', {}, 'Blocks'), h('div', { id: 'endpoint-blocks' }, table(['block', 'scheduler state'], (s.blocks as Json[]).map((b) => [b.block_id, b.scheduler_state])))]
          : []),
      );
      history.replaceChildren(
        h('h2', {}, 'Heartbeat history'),
        table(['at', 'workers (idle/total)', 'held', 'pending', 'host'], ((s.logs ?? []) as Json[]).map((l) => [when(l.timestamp), `${l.idle_workers}/${l.total_workers}`, l.outstanding_tasks, l.pending_tasks, l.hostname ?? ''])),
      );
      // The load over time is for those who may use the endpoint, like its load now.
      if (full) charts.replaceChildren(h('h2', {}, 'Last hour'), activityCharts(await api<Json>('GET', `/v3/endpoints/${endpointId}/activity?window=3600`)));
    } catch (error) {
      out.replaceChildren(problem(error));
    }
  });
}
