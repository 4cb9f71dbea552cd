/**
 * A task's page: status and why it waits, timeline, attempt history, result or
 * exception, a Cancel button while it is unfinished, and its live output
 * (GET /v3/tasks/{id}/output, long-polled from the last offset) while it runs.
 * Two loops, stopped together when the user leaves: one follows the task's
 * state (the service's wait long-poll), one its output.
 */
import { api, type ApiError } from './api.js';
import { badge, h, table, when } from './dom.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const FINISHED = ['success', 'failed', 'cancelled'];

const present = (...nodes: (Node | false | null | undefined)[]) => nodes.filter((n): n is Node => Boolean(n));
const problem = (error: unknown) => h('p', { class: 'error', 'data-error': (error as ApiError).code ?? 'Error' }, `${(error as ApiError).code ?? 'Error'}: ${(error as ApiError).reason ?? String(error)}`);

/** Earlier attempts: the read's `history` where the service gives it, else the older details.attempt_history. */
function attemptRows(task: Json): Node[][] | undefined {
  if (Array.isArray(task.history) && task.history.length > 0) {
    return (task.history as Json[]).map((a) => [a.attempt, when(a.started_at), when(a.ended_at), a.outcome, a.detail ?? '']);
  }
  const older = (task.details?.attempt_history ?? []) as Json[];
  if (older.length === 0) return undefined;
  return older.map((a) => [a.attempt, when(a.leased_at), when(a.ended_at), a.reason, a.message ?? '']);
}

export function taskView(view: HTMLElement, taskId: string): () => void {
  const controller = new AbortController();
  const out = h('div');
  const output = h('pre', { id: 'task-output', hidden: '' });
  const outputHeading = h('h2', { hidden: '' }, 'Output');
  const cancelMessage = h('p', { id: 'task-cancel-message' });
  view.replaceChildren(h('h1', {}, 'Task ', h('code', {}, taskId)), out, outputHeading, output);
  let task: Json | undefined;

  const cancel = async () => {
    try {
      render(await api<Json>('POST', `/v3/tasks/${taskId}/cancel`));
      cancelMessage.textContent = 'Cancelled.';
    } catch (error) {
      cancelMessage.textContent = `${(error as ApiError).code ?? 'Error'}: ${(error as ApiError).reason ?? String(error)}`;
    }
  };
  const render = (next: Json) => {
    task = next;
    const finished = FINISHED.includes(next.status);
    const timeline: [string, string | null][] = [['submitted', next.created_at], ['leased (started)', next.leased_at], [`finished (${next.status})`, next.completed_at]];
    const attempts = attemptRows(next);
    const cancelButton = !finished && h('button', { type: 'button', id: 'task-cancel' }, 'Cancel task');
    if (cancelButton) cancelButton.addEventListener('click', () => void cancel());
    out.replaceChildren(...present(
      h('dl', {}, h('dt', {}, 'status'), h('dd', { id: 'task-status' }, badge(next.status)),
        ...(next.reason ? [h('dt', {}, 'waiting because'), h('dd', { id: 'task-reason' }, next.reason)] : []),
        h('dt', {}, 'endpoint'), h('dd', {}, h('a', { href: `#/endpoints/${next.endpoint_id}` }, next.endpoint_id)),
        h('dt', {}, 'function'), h('dd', {}, h('a', { href: `#/functions/${next.function_id}` }, next.function_id)),
        h('dt', {}, 'task group'), h('dd', {}, h('a', { href: `#/taskgroups/${next.task_group_id}` }, next.task_group_id)),
        h('dt', {}, 'attempts'), h('dd', {}, next.attempts)),
      cancelButton || null, cancelMessage,
      h('h2', {}, 'Timeline'), table(['step', 'at'], timeline.filter(([, at]) => at).map(([step, at]) => [step, when(at)])),
      attempts && h('h2', {}, 'Attempts'),
      attempts && h('div', { id: 'task-history' }, table(['attempt', 'started', 'ended', 'outcome', 'detail'], attempts)),
      next.result != null && h('h2', {}, `Result (${next.result_serializer})`), next.result != null && h('pre', { id: 'task-result' }, next.result),
      next.exception && h('h2', {}, 'Exception'), next.exception && h('p', { id: 'task-exception' }, `${next.exception.type}: ${next.exception.message}`),
      next.exception?.traceback && h('pre', { id: 'task-traceback' }, next.exception.traceback),
    ));
  };

  const followState = async () => {
    try {
      // The v3 read carries the attempt history; its fields are otherwise those of the v2 read.
      let current = await api<Json>('GET', `/v3/tasks/${taskId}`);
      render(current);
      // Live: the service's long-poll answers as soon as the task finishes; re-read the state meanwhile.
      while (!FINISHED.includes(current.status) && !controller.signal.aborted) {
        await api<Json>('POST', '/v3/tasks/wait', { task_ids: [taskId], timeout_s: 2 });
        if (controller.signal.aborted) return;
        current = await api<Json>('GET', `/v3/tasks/${taskId}`);
        render(current);
      }
    } catch (error) {
      if (!controller.signal.aborted) out.replaceChildren(problem(error));
    }
  };

  const followOutput = async () => {
    let offset = 0;
    try {
      while (!controller.signal.aborted) {
        const chunk = await api<Json>('GET', `/v3/tasks/${taskId}/output?offset=${offset}&wait=20`);
        if (controller.signal.aborted) return;
        if (chunk.dropped > 0) output.append(`\n[… ${chunk.dropped} bytes dropped …]\n`);
        if (chunk.text) output.append(chunk.text);
        if (output.textContent) {
          output.hidden = false;
          outputHeading.hidden = false;
        }
        offset = chunk.next_offset;
        if (chunk.complete) return;
        // A finished task with no more output pending ends the loop at the service's next answer.
        if (task && FINISHED.includes(task.status) && !chunk.text) return;
      }
    } catch (error) {
      // A service without live output (RouteNotFound) or a task without any: the page shows the rest.
      if ((error as ApiError).code !== 'RouteNotFound') output.before(problem(error));
    }
  };

  void followState();
  void followOutput();
  return () => controller.abort();
}
