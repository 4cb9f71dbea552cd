/** `funcx task cancel ID...` and `funcx task cancel --group ID`: exit 1 when a task could not be cancelled (finished, or not yours). */
import { optionString, type Command } from '../command.js';
import { EXIT_OK, EXIT_REMOTE_FAILURE, UsageError, print, printJson } from '../io.js';
import { idArgument } from '../parse.js';

export const taskCancelCommand: Command = {
  name: 'task cancel',
  synopsis: 'TASK_ID... | --group TASK_GROUP_ID',
  summary: 'cancel tasks: a queued one never runs, a running one is stopped on its endpoint; finished ones are reported as such',
  options: { group: { type: 'string' } },
  positionals: { min: 0, max: Infinity },
  async run({ io, values, positionals, json, client }) {
    const group = optionString(values, 'group');
    if ((group === undefined) === (positionals.length === 0)) throw new UsageError('give task ids, or --group TASK_GROUP_ID (not both)');
    const fx = client();
    if (group !== undefined) {
      const answer = await fx.cancelTaskGroup(idArgument(group, 'task group'));
      if (json) printJson(io, answer);
      else {
        for (const id of answer.cancelled) print(io, `${id} cancelled`);
        for (const { task_id: id, status } of answer.not_cancelled) print(io, `${id} not cancelled: already ${status}`);
      }
      return EXIT_OK; // the group is cancelled: what had finished before is no failure of the command
    }
    const { cancelled, notCancelled } = await fx.cancelTasks(positionals.map((id) => idArgument(id, 'task')));
    if (json) {
      printJson(io, {
        cancelled: cancelled.map((task) => task.task_id),
        not_cancelled: notCancelled.map(({ taskId, error }) => ({ task_id: taskId, code: error.code, reason: error.reason })),
      });
    } else {
      for (const task of cancelled) print(io, `${task.task_id} cancelled`);
      for (const { taskId, error } of notCancelled) print(io, `${taskId} not cancelled: ${error.code}: ${error.reason}`);
    }
    return notCancelled.length > 0 ? EXIT_REMOTE_FAILURE : EXIT_OK;
  },
};
