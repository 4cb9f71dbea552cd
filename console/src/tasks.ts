/**
 * "My tasks", the landing page: the signed-in user's tasks, newest first, from
 * GET /v3/tasks, filtered by status, endpoint, function and age, a page at a
 * time (the API's cursor; the console keeps the cursors of the pages before
 * for "Newer"). Also opens a task or a task group by id.
 */
import { api, type ApiError } from './api.js';
import { badge, h, table, when } from './dom.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const STATUSES = ['', 'waiting-for-ep', 'waiting-for-nodes', 'running', 'success', 'failed', 'cancelled'];
const PAGE_SIZE = 25;

export function myTasksView(view: HTMLElement): void {
  const status = h('select', { name: 'status', 'aria-label': 'status' }, ...STATUSES.map((s) => h('option', { value: s }, s || 'any status'))) as HTMLSelectElement;
  const endpoint = h('input', { name: 'endpoint_id', placeholder: 'endpoint id', 'aria-label': 'endpoint id' }) as HTMLInputElement;
  const fn = h('input', { name: 'function_id', placeholder: 'function id', 'aria-label': 'function id' }) as HTMLInputElement;
  const since = h('select', { name: 'since', 'aria-label': 'since' }, ...[['', 'any time'], ['1h', 'last hour'], ['1d', 'last day'], ['7d', 'last 7 days']].map(([v, label]) => h('option', { value: v }, label))) as HTMLSelectElement;
  const filters = h('form', { id: 'task-filters' }, status, ' ', endpoint, ' ', fn, ' ', since, ' ', h('button', { type: 'submit' }, 'Filter'));
  const out = h('div', { id: 'my-tasks' });
  const newer = h('button', { type: 'button', id: 'newer', disabled: '' }, '← Newer') as HTMLButtonElement;
  const older = h('button', { type: 'button', id: 'older', disabled: '' }, 'Older →') as HTMLButtonElement;
  // cursors[i] fetches page i; page 0 has none.
  let cursors: (string | null)[] = [null];
  let page = 0;

  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const [key, control] of [['status', status], ['endpoint_id', endpoint], ['function_id', fn], ['since', since]] as const) {
      if (control.value.trim()) query.set(key, control.value.trim());
    }
    if (cursors[page]) query.set('cursor', cursors[page]!);
    try {
      const answer = await api<{ tasks: Json[]; next_cursor: string | null }>('GET', `/v3/tasks?${query}`);
      cursors = [...cursors.slice(0, page + 1), answer.next_cursor];
      newer.disabled = page === 0;
      older.disabled = !answer.next_cursor;
      out.replaceChildren(answer.tasks.length === 0
        ? h('p', { id: 'no-tasks' }, 'No tasks match.')
        : table(['task', 'status', 'function', 'endpoint', 'submitted', 'finished', 'attempts'], answer.tasks.map((t) => [
          h('a', { href: `#/tasks/${t.task_id}` }, t.task_id), badge(t.status),
          h('a', { href: `#/functions/${t.function_id}` }, t.function_id), h('a', { href: `#/endpoints/${t.endpoint_id}` }, t.endpoint_id),
          when(t.created_at), when(t.completed_at), t.attempts,
        ])));
    } catch (error) {
      out.replaceChildren(h('p', { class: 'error', 'data-error': (error as ApiError).code ?? 'Error' }, `${(error as ApiError).code ?? 'Error'}: ${(error as ApiError).reason ?? String(error)}`));
    }
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors = [null];
    page = 0;
    void load();
  });
  newer.addEventListener('click', () => {
    page = Math.max(0, page - 1);
    void load();
  });
  older.addEventListener('click', () => {
    page += 1;
    void load();
  });
  view.replaceChildren(h('h1', {}, 'My tasks'), filters, out, h('p', {}, newer, ' ', older), h('h2', {}, 'Open by id'), openByIdForm());
  void load();
}

/** A task id, else a task group id: the API answers TaskNotFound for ids the user may not see. */
function openByIdForm(): HTMLElement {
  const input = h('input', { name: 'id', placeholder: 'task id or task group id', 'aria-label': 'task or task group id' }) as HTMLInputElement;
  const form = h('form', { id: 'open-by-id' }, input, ' ', h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const id = input.value.trim().toLowerCase();
    try {
      await api('GET', `/v2/tasks/${id}`);
      location.hash = `#/tasks/${id}`;
    } catch {
      location.hash = `#/taskgroups/${id}`;
    }
  });
  return form;
}
