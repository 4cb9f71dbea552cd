/**
 * Live output of a task: the endpoint posts what its running tasks print (at most once a
 * second per task), the submitter reads it from an offset, long-polling for more. See
 * src/ledger/appendTaskOutput.ts for what is kept, and docs/api.md#live-output.
 */
import Router from '@koa/router';
import { TaskNotFound } from '../../errors.js';
import { requireEndpointCredential, requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, queryIn, validBody, validQuery } from '../validatedInput.js';
import { longPoll } from '../longPoll.js';
import { appendTaskOutput, type OutputChunk } from '../../ledger/appendTaskOutput.js';
import { readTaskOutput } from '../../ledger/readTaskOutput.js';
import { taskKey, taskOutputKey } from '../../wakeups.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { TaskOutputQuery } from '@funcx-ts/shared/wire/task-output-query.js';
import type { TaskOutput } from '@funcx-ts/shared/wire/task-output.js';

export function taskOutputRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config, wakeups } = deps;
  const router = new Router<RequestState>();

  router.post('/v3/endpoints/:endpoint_id/output', uuidParams('endpoint_id'), requireEndpointCredential(db), validBody(validator, 'endpoint-output.json'), async (ctx) => {
    const { chunks } = bodyIn<{ chunks: OutputChunk[] }>(ctx);
    const stored = await appendTaskOutput(db, { endpointId: ctx.params.endpoint_id, chunks, totalCap: config.taskOutputTotalCap });
    for (const taskId of stored.appended) wakeups.notify(taskOutputKey(taskId));
    ctx.body = { accepted: stored.accepted, refused: stored.refused };
  });

  // A long-poll when there is nothing past offset yet: new output, or the task's end, answers it.
  router.get('/v3/tasks/:task_id/output', requireUser(db), uuidParams('task_id'), validQuery(validator, 'task-output-query.json'), async (ctx) => {
    const { offset, wait } = queryIn<Required<TaskOutputQuery>>(ctx);
    const taskId = ctx.params.task_id;
    const read = async (): Promise<TaskOutput> => {
      const view = await readTaskOutput(db, { submitter: userOf(ctx).id, taskId, offset });
      if (!view) throw new TaskNotFound(`task ${taskId} not found`);
      return view;
    };
    // New output posted, or the task's end, wakes it.
    const view = await longPoll(deps, ctx.res, {
      waitMs: wait * 1000,
      keys: [taskOutputKey(taskId), taskKey(taskId)],
      recheckMs: config.pollFallbackInterval,
      look: read,
      done: (output) => output.text.length > 0 || output.complete,
    });
    ctx.body = view;
  });

  return router;
}
