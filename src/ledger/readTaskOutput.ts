/** Live output as the task's submitter reads it: the kept text from an offset (see appendTaskOutput.ts). */
import type { Knex } from 'knex';
import type { TaskOutput } from '@funcx-ts/shared/wire/task-output.js';
import { isFinished, type TaskState } from './model.js';

/** Undefined when the task is not the submitter's. */
export async function readTaskOutput(db: Knex, input: { submitter: string; taskId: string; offset: number }): Promise<TaskOutput | undefined> {
  const task: { state: TaskState } | undefined = await db('tasks').select('state').where({ id: input.taskId, submitter: input.submitter }).first();
  if (!task) return undefined;
  const row: { text: string; start_offset: number | string; end_offset: number | string } | undefined = await db('task_output')
    .select('text', 'start_offset', 'end_offset')
    .where({ task_id: input.taskId })
    .first();
  const startOffset = Number(row?.start_offset ?? 0);
  const endOffset = Number(row?.end_offset ?? 0);
  // Never past the end (an offset from the future gets the end), never before what is kept.
  const from = Math.min(Math.max(input.offset, startOffset), endOffset);
  const kept = Buffer.from(row?.text ?? '', 'utf8');
  return {
    task_id: input.taskId,
    offset: from,
    text: kept.subarray(from - startOffset).toString('utf8'),
    next_offset: endOffset,
    dropped: startOffset,
    // The agent sends a task's last output before its result, so a finished task's output is all here.
    complete: isFinished(task.state),
  };
}
