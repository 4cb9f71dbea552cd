/** `funcx task status ID`: where a task is and why (its reason while it waits), and each attempt and how it ended. */
import type { Command } from '../command.js';
import { EXIT_OK, print, printJson } from '../io.js';
import { idArgument } from '../parse.js';
import { renderRecord, renderTable } from '../../table.js';

export const taskStatusCommand: Command = {
  name: 'task status',
  synopsis: 'TASK_ID',
  summary: 'a task\'s status, why it waits (waiting-for-ep, -nodes, -launch), and its attempts',
  positionals: { min: 1, max: 1 },
  async run({ io, positionals, json, client }) {
    const taskId = idArgument(positionals[0], 'task');
    const task = await client().getTask(taskId);
    if (json) {
      printJson(io, task);
      return EXIT_OK;
    }
    print(io, renderRecord([
      ['task_id', task.task_id],
      ['status', task.status],
      ['reason', task.reason ?? ''],
      ['endpoint_id', task.endpoint_id],
      ['created_at', task.created_at],
      ['completed_at', task.completed_at ?? ''],
    ]));
    const history = task.history ?? [];
    if (history.length > 0) {
      print(io, '');
      print(io, renderTable(history, [
        { header: 'attempt', value: (a) => String(a.attempt) },
        { header: 'started_at', value: (a) => a.started_at ?? '' },
        { header: 'ended_at', value: (a) => a.ended_at ?? '' },
        { header: 'outcome', value: (a) => a.outcome },
        { header: 'detail', value: (a) => a.detail ?? '', maxWidth: 80 },
      ]));
    }
    return EXIT_OK;
  },
};
