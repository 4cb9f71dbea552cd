/**
 * A client's wait for its tasks: held open until they are done (or the first of them, with
 * FIRST_COMPLETED), or until the timeout; answers their records. `POST /v3/tasks/wait` is this
 * wait alone; a submit with `wait_s` (a call) waits this way on the tasks it just accepted.
 */
import type { ServerResponse } from 'node:http';
import { RequestMalformed } from '../errors.js';
import { readTasks, readTaskStates, readTasksWithStates } from '../ledger/readTasks.js';
import { FINISHED_STATES, type TaskState } from '../ledger/model.js';
import { taskIdOfKey, taskKey } from '../wakeups.js';
import { longPoll } from './longPoll.js';
import type { ServiceDeps } from './context.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';
import type { UpstreamTaskRecord } from '@funcx-ts/shared/wire/upstream-task.js';

/** A look at this many tasks or fewer reads their whole records (results included), not just their states. */
const FULL_LOOK_MAX = 50;

/** The most tasks one wait answers, records and all (task-wait.json's bound): a call's submit too. */
export const MAX_WAITED_TASKS = 1000;

/** A call's submit is refused before anything is written when its answer would wait for more tasks than a wait may. */
export function checkCallSize(waitS: number | undefined, taskCount: number): void {
  if (waitS && taskCount > MAX_WAITED_TASKS) {
    throw new RequestMalformed(`wait_s waits for at most ${MAX_WAITED_TASKS} tasks, as POST /v3/tasks/wait does; this submit has ${taskCount}: submit without wait_s and wait in chunks`);
  }
}

export interface TaskWait {
  submitter: string;
  /** Lower-case task ids, each once. */
  taskIds: readonly string[];
  timeoutMs: number;
  returnWhen: 'FIRST_COMPLETED' | 'ALL_COMPLETED';
}

export interface TasksWaitedFor {
  done: Record<string, TaskRecord | UpstreamTaskRecord>;
  pending: string[];
  not_found: string[];
}

/** Waits for the tasks as `wait` says, holding the request whose response is `res`. */
export async function waitForTasks(deps: ServiceDeps, res: ServerResponse, wait: TaskWait): Promise<TasksWaitedFor> {
  const { db, config } = deps;
  const { submitter, taskIds: ids } = wait;
  // One watch for the whole wait: each wake-up re-checks only the tasks it names
  // (a batch of results wakes us once per task, and we read just those); every
  // pollFallbackInterval, all pending ones (finished through another replica). A look at up
  // to FULL_LOOK_MAX tasks reads their whole records, kept for the answer if finished (a lone
  // task's wait is then two reads, not three); a larger one reads only states, and the finished
  // tasks' records are read once, for the answer.
  const pending = new Set(ids);
  const finished: string[] = [];
  const records = new Map<string, TaskRecord | UpstreamTaskRecord>();
  let notFound: string[] | undefined;
  await longPoll(deps, res, {
    waitMs: wait.timeoutMs,
    keys: ids.map(taskKey),
    recheckMs: config.pollFallbackInterval,
    look: async ({ fired }) => {
      const toCheck = fired === undefined ? ids : fired.length > 0 ? [...new Set(fired.map(taskIdOfKey))].filter((id) => pending.has(id)) : [...pending];
      let states: Map<string, string>;
      if (toCheck.length <= FULL_LOOK_MAX) {
        const read = await readTasksWithStates(db, { submitter, taskIds: toCheck });
        states = new Map([...read].map(([id, { state }]) => [id, state]));
        for (const [id, { state, record }] of read) if (FINISHED_STATES.includes(state as TaskState)) records.set(id, record);
      } else {
        states = await readTaskStates(db, { submitter, taskIds: toCheck });
      }
      if (!notFound) {
        notFound = ids.filter((id) => !states.has(id));
        for (const id of notFound) pending.delete(id);
      }
      for (const [id, state] of states) {
        if (pending.has(id) && FINISHED_STATES.includes(state as TaskState)) {
          pending.delete(id);
          finished.push(id);
        }
      }
      return pending.size === 0 || (wait.returnWhen === 'FIRST_COMPLETED' && finished.length > 0);
    },
    done: (satisfied) => satisfied,
  });
  const unread = finished.filter((id) => !records.has(id));
  if (unread.length > 0) for (const [id, record] of (await readTasks(db, { submitter, taskIds: unread })).found) records.set(id, record);
  return {
    done: Object.fromEntries(finished.filter((id) => records.has(id)).map((id) => [id, records.get(id)!])),
    pending: ids.filter((id) => pending.has(id)),
    not_found: notFound ?? [],
  };
}
