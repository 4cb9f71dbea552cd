/**
 * Live output of a task: the endpoint posts what its running tasks print (at most once a
 * second per task), the submitter reads it from an offset, long-polling for more. See
 * src/ledger/appendTaskOutput.ts for what is kept, and docs/api.md#live-output.
 */
import Router from '@koa/router';
import { TaskNotFound } from '../../errors.js';
import { requireEndpointCredential, requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, queryIn, validBody, validQuery } from '../validate.js';
import { abortOnClientGone } from '../clientGone.js';
import { appendTaskOutput, type OutputChunk } from '../../ledger/appendTaskOutput.js';
import { readTaskOutput, type TaskOutputView } from '../../ledger/readTaskOutput.js';
import { taskKey, taskOutputKey } from '../../wakeups.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { TaskOutputQuery } from '@funcx-ts/shared/wire/task-output-query.js';

export function taskOutputRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config, wakeups, shutdown } = deps;
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
    const read = async (): Promise<TaskOutputView> => {
      const view = await readTaskOutput(db, { submitter: userOf(ctx).id, taskId, offset });
      if (!view) throw new TaskNotFound(`task ${taskId} not found`);
      return view;
    };
    const deadline = Date.now() + wait * 1000;
    const clientGone = abortOnClientGone(ctx.res);
    let view: TaskOutputView;
    for (;;) {
      // Subscribe before looking, so output posted between the look and the wait still wakes us.
      const subscription = wakeups.subscribe([taskOutputKey(taskId), taskKey(taskId)]);
      try {
        view = await read();
        const remaining = deadline - Date.now();
        if (view.text.length > 0 || view.complete || remaining <= 0 || shutdown.aborted || clientGone.aborted) break;
        await subscription.wait(Math.min(remaining, config.pollFallbackInterval), AbortSignal.any([shutdown, clientGone]));
      } finally {
        subscription.unsubscribe();
      }
    }
    ctx.body = view;
  });

  return router;
}
