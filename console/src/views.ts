/** The console's task group and function pages (tasks.ts: My tasks; task.ts: a task; endpoint.ts: endpoints). */
import { api, type ApiError } from './api.js';
import { badge, h, table } from './dom.js';
import { progressBar, type Part } from './chart.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Stop = () => void;
const FINISHED = ['success', 'failed', 'cancelled'];

const problem = (error: unknown) => h('p', { class: 'error', 'data-error': (error as ApiError).code ?? 'Error' }, `${(error as ApiError).code ?? 'Error'}: ${(error as ApiError).reason ?? String(error)}`);

const GROUP_PARTS: { key: string; label: string; pattern: Part['pattern'] }[] = [
  { key: 'success', label: 'succeeded', pattern: 'solid' },
  { key: 'failed', label: 'failed', pattern: 'cross' },
  { key: 'cancelled', label: 'cancelled', pattern: 'dots' },
  { key: 'running', label: 'running', pattern: 'hatch' },
  { key: 'waiting', label: 'waiting', pattern: 'empty' },
];

/** A group's tasks by status, for its progress bar (waiting-for-nodes counts as waiting). */
export function groupProgress(tasks: Json[]): Part[] {
  const count = (key: string) => tasks.filter((t) => (key === 'waiting' ? t.status === 'waiting-for-ep' || t.status === 'waiting-for-nodes' : t.status === key)).length;
  return GROUP_PARTS.map((part) => ({ ...part, count: count(part.key) }));
}

export function taskGroupView(view: HTMLElement, groupId: string): Stop {
  const status = h('select', { name: 'status' }, ...['', 'waiting-for-ep', 'waiting-for-nodes', 'running', 'success', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s || 'any status')));
  const endpoint = h('input', { name: 'endpoint', placeholder: 'endpoint id' }) as HTMLInputElement;
  const fn = h('input', { name: 'function', placeholder: 'function id' }) as HTMLInputElement;
  const progress = h('div', { id: 'group-progress' });
  const out = h('div');
  const cancelMessage = h('p', { id: 'group-cancel-message' });
  const cancel = h('button', { type: 'button', id: 'group-cancel' }, 'Cancel unfinished tasks');
  cancel.addEventListener('click', async () => {
    try {
      const answer = await api<{ cancelled: string[]; not_cancelled: { task_id: string; status: string }[] }>('POST', `/v3/task_groups/${groupId}/cancel`);
      cancelMessage.textContent = `Cancelled ${answer.cancelled.length}; ${answer.not_cancelled.length} had finished already.`;
      await render();
    } catch (error) {
      cancelMessage.replaceChildren(problem(error));
    }
  });
  let stopped = false;
  const render = async () => {
    try {
      const group = await api<Json>('GET', `/v2/taskgroup/${groupId}?limit=1000`);
      const tasks = group.tasks as Json[];
      const shown = tasks.length < group.total ? ` (the first ${tasks.length} of ${group.total})` : '';
      progress.replaceChildren(progressBar({ id: 'chart-group', title: `Progress${shown}`, parts: groupProgress(tasks) }));
      cancel.hidden = tasks.every((t) => FINISHED.includes(t.status));
      const rows = tasks.filter((t) => (!(status as HTMLSelectElement).value || t.status === (status as HTMLSelectElement).value)
        && (!endpoint.value || t.endpoint_id === endpoint.value.trim()) && (!fn.value || t.function_id === fn.value.trim()));
      out.replaceChildren(h('p', {}, `${group.total} tasks`), table(['task', 'status', 'endpoint', 'function'], rows.map((t) => [h('a', { href: `#/tasks/${t.id}` }, t.id), badge(t.status), t.endpoint_id, t.function_id])));
    } catch (error) {
      out.replaceChildren(problem(error));
    }
  };
  for (const control of [status, endpoint, fn]) control.addEventListener('input', () => void render());
  view.replaceChildren(h('h1', {}, `Task group ${groupId}`), progress, cancel, cancelMessage, h('form', {}, status, ' ', endpoint, ' ', fn), out);
  void (async () => {
    while (!stopped) {
      await render();
      await new Promise((resolve) => setTimeout(resolve, 3000));
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
