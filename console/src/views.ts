/** The console's pages. Each renders into `view` and may return a stop function (for live updates). */
import { api, type ApiError } from './api.js';
import { badge, h, table, when } from './dom.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Stop = () => void;
const FINISHED = ['success', 'failed', 'cancelled'];

const present = (...nodes: (Node | false | null | undefined)[]) => nodes.filter((n): n is Node => Boolean(n));
const problem = (error: unknown) => h('p', { class: 'error', 'data-error': (error as ApiError).code ?? 'Error' }, `${(error as ApiError).code ?? 'Error'}: ${(error as ApiError).reason ?? String(error)}`);

export function taskGroupView(view: HTMLElement, groupId: string): Stop {
  const status = h('select', { name: 'status' }, ...['', 'waiting-for-ep', 'waiting-for-nodes', 'running', 'success', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s || 'any status')));
  const endpoint = h('input', { name: 'endpoint', placeholder: 'endpoint id' }) as HTMLInputElement;
  const fn = h('input', { name: 'function', placeholder: 'function id' }) as HTMLInputElement;
  const out = h('div');
  let stopped = false;
  const render = async () => {
    try {
      const group = await api<Json>('GET', `/v2/taskgroup/${groupId}?limit=1000`);
      const rows = (group.tasks as Json[]).filter((t) => (!(status as HTMLSelectElement).value || t.status === (status as HTMLSelectElement).value)
        && (!endpoint.value || t.endpoint_id === endpoint.value.trim()) && (!fn.value || t.function_id === fn.value.trim()));
      out.replaceChildren(h('p', {}, `${group.total} tasks`), table(['task', 'status', 'endpoint', 'function'], rows.map((t) => [h('a', { href: `#/tasks/${t.id}` }, t.id), badge(t.status), t.endpoint_id, t.function_id])));
    } catch (error) {
      out.replaceChildren(problem(error));
    }
  };
  for (const control of [status, endpoint, fn]) control.addEventListener('input', () => void render());
  view.replaceChildren(h('h1', {}, `Task group ${groupId}`), h('form', {}, status, ' ', endpoint, ' ', fn), out);
  void (async () => {
    while (!stopped) {
      await render();
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  })();
  return () => (stopped = true);
}

export function taskView(view: HTMLElement, taskId: string): Stop {
  const controller = new AbortController();
  const out = h('div');
  view.replaceChildren(h('h1', {}, 'Task ', h('code', {}, taskId)), out);
  const render = (task: Json) => {
    const timeline: [string, string | null][] = [['submitted', task.created_at], ['leased (started)', task.leased_at], [`finished (${task.status})`, task.completed_at]];
    const attempts = (task.details?.attempt_history ?? []) as Json[];
    out.replaceChildren(...present(
      h('dl', {}, h('dt', {}, 'status'), h('dd', { id: 'task-status' }, badge(task.status)),
        h('dt', {}, 'endpoint'), h('dd', {}, h('a', { href: `#/endpoints/${task.endpoint_id}` }, task.endpoint_id)),
        h('dt', {}, 'function'), h('dd', {}, h('a', { href: `#/functions/${task.function_id}` }, task.function_id)),
        h('dt', {}, 'task group'), h('dd', {}, h('a', { href: `#/taskgroups/${task.task_group_id}` }, task.task_group_id)),
        h('dt', {}, 'attempts'), h('dd', {}, task.attempts)),
      h('h2', {}, 'Timeline'), table(['step', 'at'], timeline.filter(([, at]) => at).map(([step, at]) => [step, when(at)])),
      attempts.length > 0 && h('h2', {}, 'Earlier attempts'),
      attempts.length > 0 && table(['attempt', 'leased', 'ended', 'reason'], attempts.map((a) => [a.attempt, when(a.leased_at), when(a.ended_at), `${a.reason}${a.message ? `: ${a.message}` : ''}`])),
      task.result != null && h('h2', {}, `Result (${task.result_serializer})`), task.result != null && h('pre', { id: 'task-result' }, task.result),
      task.exception && h('h2', {}, 'Exception'), task.exception && h('p', { id: 'task-exception' }, `${task.exception.type}: ${task.exception.message}`),
      task.exception?.traceback && h('pre', { id: 'task-traceback' }, task.exception.traceback),
    ));
  };
  void (async () => {
    try {
      let task = await api<Json>('GET', `/v2/tasks/${taskId}`);
      render(task);
      // Live: the service's long-poll answers as soon as the task finishes; re-read the state meanwhile.
      while (!FINISHED.includes(task.status) && !controller.signal.aborted) {
        const waited = await api<Json>('POST', '/v3/tasks/wait', { task_ids: [taskId], timeout_s: 2 });
        if (controller.signal.aborted) return;
        task = waited.done[taskId] ?? await api<Json>('GET', `/v2/tasks/${taskId}`);
        render(task);
      }
    } catch (error) {
      out.replaceChildren(problem(error));
    }
  })();
  return () => controller.abort();
}

export function endpointsView(view: HTMLElement): Stop {
  const out = h('div');
  view.replaceChildren(h('h1', {}, 'Endpoints'), out);
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const { endpoints } = await api<Json>('GET', '/v3/endpoints?role=any');
        out.replaceChildren(table(['name', 'status', 'owner', 'id'], (endpoints as Json[]).map((e) => [h('a', { href: `#/endpoints/${e.endpoint_id}` }, e.display_name || e.name), badge(e.status), e.owner, e.endpoint_id])));
      } catch (error) {
        out.replaceChildren(problem(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  })();
  return () => (stopped = true);
}

export function endpointView(view: HTMLElement, endpointId: string): Stop {
  const out = h('div');
  view.replaceChildren(h('h1', {}, 'Endpoint ', h('code', {}, endpointId)), out);
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const s = await api<Json>('GET', `/v3/endpoints/${endpointId}/status`);
        out.replaceChildren(
          h('dl', {}, h('dt', {}, 'status'), h('dd', {}, badge(s.status)), h('dt', {}, 'workers'), h('dd', {}, s.total_workers === undefined ? '—' : `${s.idle_workers} idle of ${s.total_workers}`),
            h('dt', {}, 'queue'), h('dd', {}, s.outstanding_tasks === undefined ? '—' : `${s.outstanding_tasks} held, ${s.pending_tasks} pending`), h('dt', {}, 'last heartbeat'), h('dd', {}, when(s.last_heartbeat_at))),
          h('h2', {}, 'Heartbeat history'),
          table(['at', 'workers (idle/total)', 'held', 'pending', 'host'], ((s.logs ?? []) as Json[]).map((l) => [when(l.timestamp), `${l.idle_workers}/${l.total_workers}`, l.outstanding_tasks, l.pending_tasks, l.hostname ?? ''])),
        );
      } catch (error) {
        out.replaceChildren(problem(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  })();
  return () => (stopped = true);
}

export function functionsView(view: HTMLElement): void {
  const input = h('input', { name: 'q', placeholder: 'search by name or description' }) as HTMLInputElement;
  const out = h('div');
  const search = async () => {
    try {
      const found = await api<Json>('GET', `/v3/functions?q=${encodeURIComponent(input.value)}&limit=100`);
      out.replaceChildren(table(['name', 'runtime', 'owner', 'id'], (found.functions as Json[]).map((f) => [h('a', { href: `#/functions/${f.function_uuid}` }, f.name ?? '(unnamed)'), f.runtime, f.owner, f.function_uuid])));
    } catch (error) {
      out.replaceChildren(problem(error));
    }
  };
  const form = h('form', {}, input, ' ', h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void search();
  });
  view.replaceChildren(h('h1', {}, 'Functions'), form, out);
  void search();
}

export function functionView(view: HTMLElement, functionId: string): void {
  const out = h('div');
  view.replaceChildren(h('h1', {}, 'Function ', h('code', {}, functionId)), out);
  void api<Json>('GET', `/v3/functions/${functionId}`).then(
    (f) => out.replaceChildren(h('dl', {}, h('dt', {}, 'name'), h('dd', {}, f.name ?? ''), h('dt', {}, 'runtime'), h('dd', {}, f.runtime), h('dt', {}, 'entry point'), h('dd', {}, f.entry_point ?? '—'), h('dt', {}, 'owner'), h('dd', {}, f.owner)), h('h2', {}, 'Source'), h('pre', { id: 'function-source' }, f.source)),
    (error) => out.replaceChildren(problem(error)),
  );
}
