/**
 * After the ledger committed tasks as finished: publish those submitted in the
 * upstream format to their task group's AMQP queue, in the shape the task
 * views give them (taskView.ts).
 */
import { STATUS_COLUMNS, isFinished, toTaskRecord, type TaskRow } from '../../ledger/model.js';
import { UPSTREAM_SERIALIZER, toUpstreamTaskRecord } from '../taskView.js';
import { taskKey } from '../../wakeups.js';
import type { ServiceDeps } from '../../http/context.js';
import type { ResultMessage } from './resultQueues.js';

export async function publishFinished(deps: ServiceDeps, taskIds: readonly string[]): Promise<void> {
  const queues = deps.resultQueues;
  if (!queues || taskIds.length === 0) return;
  const messages: ResultMessage[] = [];
  for (let start = 0; start < taskIds.length; start += 500) {
    const rows: TaskRow[] = await deps.db('tasks').select(...STATUS_COLUMNS, 'submitter')
      .whereIn('id', taskIds.slice(start, start + 500)).andWhere('serializer', UPSTREAM_SERIALIZER);
    for (const row of rows) {
      if (!isFinished(row.state)) continue;
      const native = toTaskRecord(row);
      const view = toUpstreamTaskRecord(native);
      messages.push(view.result !== undefined
        ? { taskId: row.id, submitter: row.submitter, taskGroupId: row.task_group_id, data: view.result }
        : {
          taskId: row.id, submitter: row.submitter, taskGroupId: row.task_group_id, data: view.exception ?? 'the task failed',
          error: { code: native.exception?.type ?? 'TaskFailed', message: native.exception?.message ?? 'the task failed' },
        });
    }
  }
  await queues.publish(messages);
}

/**
 * Publishes tasks as they finish in this process: every path that ends a task
 * (results posted, a cancel, the reaper, a multi-user refusal) wakes the
 * clients waiting on it, and this observes those wake-ups. Ids are gathered
 * for a moment and published in one go, one batch at a time. Tasks a replica
 * ends are published by that replica.
 */
export function startResultPublishing(deps: ServiceDeps): { stop(): Promise<void> } {
  const prefix = taskKey('');
  let pending = new Set<string>();
  let flushing: Promise<void> = Promise.resolve();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const ids = [...pending];
    pending = new Set();
    flushing = flushing
      .then(() => publishFinished(deps, ids))
      .catch((error: unknown) => deps.logger.warn({ err: error, tasks: ids.length }, 'could not publish results over AMQP (get_result still answers)'));
  };
  const unobserve = deps.wakeups.observe((key) => {
    if (!key.startsWith(prefix)) return;
    pending.add(key.slice(prefix.length));
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return {
    async stop() {
      unobserve();
      if (scheduled || pending.size > 0) flush();
      await flushing;
    },
  };
}
