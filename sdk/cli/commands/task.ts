/** `funcx task get ID` and `funcx task wait ID...`: exit 1 when a task failed (or, for wait, is not found or still pending at --timeout). */
import { inspect } from 'node:util';
import { decodeResult } from '../../serialization.js';
import type { TaskRecord } from '../../types.js';
import type { Command } from '../command.js';
import { EXIT_OK, EXIT_REMOTE_FAILURE, print, printJson } from '../io.js';
import { idArgument, secondsOption } from '../parse.js';
import { createProgress, stdoutIsTerminal } from '../progress.js';
import { renderTable } from '../../table.js';

/** The value of a finished task, for people: its result, or `Type: message`. */
function outcomeText(task: TaskRecord): string {
  if (task.pending) return '';
  if (task.status === 'success') {
    try {
      return inspect(decodeResult(task), { breakLength: Infinity, depth: 4 });
    } catch {
      return `(${task.result_serializer} result, ${task.result?.length ?? 0} characters)`;
    }
  }
  return task.exception ? `${task.exception.type}: ${task.exception.message}` : '';
}

/**
 * A task record for --json: as the service gave it (raw `result` and `result_serializer` kept), plus
 * `value`, the decoded result, when it is JSON-serialized (a pickle only Python can read is left as is).
 */
function withValue(task: TaskRecord): TaskRecord & { value?: unknown } {
  if (task.status !== 'success' || (task.result_serializer ?? 'json') !== 'json' || task.result === undefined) return task;
  try {
    return { ...task, value: decodeResult(task) };
  } catch {
    return task; // not valid JSON: the raw text is there
  }
}

const failed = (task: TaskRecord) => task.status === 'failed' || task.status === 'cancelled';

export const taskGetCommand: Command = {
  name: 'task get',
  synopsis: 'TASK_ID',
  summary: "a task's status, and its result or exception (with the remote traceback)",
  positionals: { min: 1, max: 1 },
  async run({ io, positionals, json, client }) {
    const taskId = idArgument(positionals[0], 'task');
    const task = await client().getTask(taskId);
    if (json) {
      printJson(io, withValue(task));
    } else {
      print(io, `${task.task_id} ${task.status}${task.pending ? '' : ` ${outcomeText(task)}`}`);
      if (task.exception?.traceback) print(io, task.exception.traceback);
    }
    return failed(task) ? EXIT_REMOTE_FAILURE : EXIT_OK;
  },
};

export const taskWaitCommand: Command = {
  name: 'task wait',
  synopsis: 'TASK_ID... [--timeout SECONDS]',
  summary: 'wait for tasks (long-poll): a progress bar on a terminal, a line per finished task otherwise',
  options: { timeout: { type: 'string' } },
  positionals: { min: 1, max: Infinity },
  async run({ io, values, positionals, json, client }) {
    const requested = positionals.map((id) => idArgument(id, 'task'));
    const fx = client();
    const timeoutS = secondsOption(values, 'timeout');
    const deadline = timeoutS === undefined ? Infinity : Date.now() + timeoutS * 1000;
    const ids = [...new Set(requested)];
    const done: Record<string, TaskRecord> = {};
    const notFound: string[] = [];
    let pending = ids;
    const progress = createProgress(io, ids.length, { json });
    try {
      while (pending.length > 0 && Date.now() < deadline) {
        const waitS = Math.max(0, Math.min(30, Math.ceil((deadline - Date.now()) / 1000)));
        const answer = await fx.waitForTasks(pending.slice(0, 1000), { timeoutS: waitS, returnWhen: 'FIRST_COMPLETED' });
        for (const [id, task] of Object.entries(answer.done)) {
          done[id] = task;
          progress.finished(`${id} ${task.status} ${outcomeText(task)}`.trimEnd());
        }
        for (const id of answer.not_found) {
          notFound.push(id);
          progress.finished(`${id} not-found`);
        }
        pending = pending.filter((id) => !(id in done) && !notFound.includes(id));
      }
    } finally {
      progress.end();
    }
    if (json) {
      printJson(io, { done: Object.fromEntries(Object.entries(done).map(([id, task]) => [id, withValue(task)])), pending, not_found: notFound });
    } else if (stdoutIsTerminal(io)) {
      // For a person (the bar, if any, is gone): the summary, one row per task.
      print(io, renderTable(ids, [
        { header: 'task_id', value: (id) => id },
        { header: 'status', value: (id) => done[id]?.status ?? (notFound.includes(id) ? 'not-found' : 'pending') },
        { header: 'result', value: (id) => (done[id] ? outcomeText(done[id]) : ''), maxWidth: 80 },
      ]));
    } else {
      for (const id of pending) print(io, `${id} pending (still, after --timeout)`);
    }
    const anyFailed = Object.values(done).some(failed) || notFound.length > 0 || pending.length > 0;
    return anyFailed ? EXIT_REMOTE_FAILURE : EXIT_OK;
  },
};
