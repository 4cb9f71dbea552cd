/** Tasks as users see them: submit, read, wait, cancel. */
import Router from '@koa/router';
import { TaskNotFound } from '../../errors.js';
import { requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, queryIn, validBody, validQuery } from '../validatedInput.js';
import { acceptSubmission } from '../submission.js';
import { upstreamSubmitForm } from '../../upstream/submit.js';
import { readTaskGroup, readTasks } from '../../ledger/readTasks.js';
import { cancelTask } from '../../ledger/cancelTask.js';
import { explainTask } from '../../ledger/explainTask.js';
import { cancelTaskGroup } from '../../ledger/cancelTaskGroup.js';
import { announceCancelled } from '../cancelNotice.js';
import { checkCallSize, waitForTasks } from '../waitForTasks.js';
import type { AppContext, RequestState, ServiceDeps } from '../context.js';
import type { TaskSubmitRequest } from '@funcx-ts/shared/wire/task-submit.js';
import type { TaskSubmitResponse } from '@funcx-ts/shared/wire/task-submit-response.js';
import type { BatchSubmitRequest } from '@funcx-ts/shared/wire/batch-submit.js';
import type { BatchSubmitResponse } from '@funcx-ts/shared/wire/batch-submit-response.js';
import type { BatchStatusRequest } from '@funcx-ts/shared/wire/batch-status.js';
import type { TaskWaitRequest } from '@funcx-ts/shared/wire/task-wait.js';
import type { TaskGroupQuery } from '@funcx-ts/shared/wire/task-group-query.js';
import type { Serializer } from '../../ledger/model.js';

export function taskRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config, wakeups } = deps;
  const router = new Router<RequestState>();
  const user = requireUser(db);

  /** A call (a submit with wait_s): the submit's answer waits for its tasks (new ids, each once), as a wait on them would. */
  const waitForSubmitted = (ctx: AppContext, taskIds: readonly string[], waitS: number) =>
    waitForTasks(deps, ctx.res, { submitter: userOf(ctx).id, taskIds, timeoutMs: waitS * 1000, returnWhen: 'ALL_COMPLETED' });

  router.post('/v3/endpoints/:endpoint_id/submit', user, uuidParams('endpoint_id'), upstreamSubmitForm(deps), validBody(validator, 'task-submit.json'), async (ctx) => {
    const body = bodyIn<TaskSubmitRequest>(ctx);
    const endpointId = ctx.params.endpoint_id;
    // Keys that differ only in case name one function: merge them, so no task id goes missing from the answer.
    const merged = new Map<string, string[]>();
    for (const [key, payloads] of Object.entries(body.tasks)) merged.set(key.toLowerCase(), [...(merged.get(key.toLowerCase()) ?? []), ...payloads]);
    const entries = [...merged];
    checkCallSize(body.wait_s, entries.reduce((count, [, payloads]) => count + payloads.length, 0));
    const submitted = await acceptSubmission(deps, ctx, {
      user: userOf(ctx),
      taskGroupId: body.task_group_id?.toLowerCase(),
      tasks: entries.flatMap(([functionId, payloads]) =>
        payloads.map((payload) => ({
          functionId, endpointId, payload, serializer: (body.serializer ?? 'json') as Serializer, userEndpointConfig: body.user_endpoint_config,
          userRuntime: body.user_runtime, resourceSpecification: body.resource_specification,
        })),
      ),
    });
    // Task ids come back grouped by function, in payload order.
    const tasks: TaskSubmitResponse['tasks'] = {};
    let next = 0;
    for (const [functionId, payloads] of entries) tasks[functionId] = submitted.taskIds.slice(next, (next += payloads.length));
    const answer: TaskSubmitResponse = { request_id: submitted.requestId, task_group_id: submitted.taskGroupId, endpoint_id: endpointId, tasks };
    ctx.body = body.wait_s ? { ...answer, wait: await waitForSubmitted(ctx, submitted.taskIds, body.wait_s) } : answer;
  });

  router.post('/v3/submit', user, validBody(validator, 'batch-submit.json'), async (ctx) => {
    const body = bodyIn<BatchSubmitRequest>(ctx);
    const tasks = body.tasks.map((t) => ({
      functionId: t.function_id.toLowerCase(),
      endpointId: t.endpoint_id.toLowerCase(),
      payload: t.payload,
      serializer: (t.serializer ?? 'json') as Serializer,
      userEndpointConfig: t.user_endpoint_config,
      userRuntime: t.user_runtime ?? body.user_runtime,
      resourceSpecification: t.resource_specification,
    }));
    checkCallSize(body.wait_s, tasks.length);
    const submitted = await acceptSubmission(deps, ctx, { user: userOf(ctx), taskGroupId: body.task_group_id?.toLowerCase(), tasks });
    const answer: BatchSubmitResponse = {
      request_id: submitted.requestId,
      task_group_id: submitted.taskGroupId,
      tasks: tasks.map((t, i) => ({ task_id: submitted.taskIds[i], endpoint_id: t.endpointId, function_id: t.functionId })),
    };
    ctx.body = body.wait_s ? { ...answer, wait: await waitForSubmitted(ctx, submitted.taskIds, body.wait_s) } : answer;
  });

  router.get(['/v2/tasks/:task_id', '/v3/tasks/:task_id'], user, uuidParams('task_id'), async (ctx) => {
    const { found } = await readTasks(db, { submitter: userOf(ctx).id, taskIds: [ctx.params.task_id] });
    const task = found.get(ctx.params.task_id);
    if (!task) throw new TaskNotFound(`task ${ctx.params.task_id} not found`);
    // Why it waits and how each attempt ended; the upstream SDKs' shape gets them on /v3 only (their /v2 parser is theirs).
    const upstreamShape = !('attempts' in task);
    const explained = upstreamShape && ctx.path.startsWith('/v2/')
      ? undefined
      : await explainTask(db, { submitter: userOf(ctx).id, taskId: ctx.params.task_id, offlineAfterMs: config.endpointOfflineAfter });
    ctx.body = explained ? { ...task, reason: explained.reason, history: explained.history } : task;
  });

  router.post('/v2/batch_status', user, validBody(validator, 'batch-status.json'), async (ctx) => {
    const { task_ids } = bodyIn<BatchStatusRequest>(ctx);
    const { found, notFound } = await readTasks(db, { submitter: userOf(ctx).id, taskIds: task_ids.map((id) => id.toLowerCase()) });
    ctx.body = { results: Object.fromEntries(found), not_found: notFound };
  });

  // A long-poll: answers as soon as the tasks are done, so clients need not busy-poll.
  router.post('/v3/tasks/wait', user, validBody(validator, 'task-wait.json'), async (ctx) => {
    const request = bodyIn<Required<TaskWaitRequest>>(ctx);
    ctx.body = await waitForTasks(deps, ctx.res, {
      submitter: userOf(ctx).id,
      taskIds: [...new Set(request.task_ids.map((id) => id.toLowerCase()))],
      timeoutMs: request.timeout_s * 1000,
      returnWhen: request.return_when,
    });
  });

  router.get('/v2/taskgroup/:task_group_id', user, uuidParams('task_group_id'), validQuery(validator, 'task-group-query.json'), async (ctx) => {
    const page = queryIn<Required<TaskGroupQuery>>(ctx);
    ctx.body = await readTaskGroup(db, { submitter: userOf(ctx).id, taskGroupId: ctx.params.task_group_id, ...page });
  });

  router.post('/v3/tasks/:task_id/cancel', user, uuidParams('task_id'), async (ctx) => {
    const task = await cancelTask(db, { submitter: userOf(ctx).id, taskId: ctx.params.task_id });
    announceCancelled(wakeups, [{ taskId: task.task_id, endpointId: task.endpoint_id }]);
    ctx.body = task;
  });

  // Every unfinished task of the group; the finished ones are listed with their state.
  router.post('/v3/task_groups/:task_group_id/cancel', user, uuidParams('task_group_id'), async (ctx) => {
    const taskGroupId = ctx.params.task_group_id.toLowerCase();
    const { cancelled, notCancelled } = await cancelTaskGroup(db, { submitter: userOf(ctx).id, taskGroupId });
    announceCancelled(wakeups, cancelled);
    ctx.body = { task_group_id: taskGroupId, cancelled: cancelled.map((t) => t.taskId), not_cancelled: notCancelled };
  });

  return router;
}
