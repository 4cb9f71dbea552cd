/**
 * Submits in the upstream SDKs' forms, onto the same checks and ledger as the
 * native ones (acceptSubmission): globus-compute-sdk 2.x posts to the native
 * path /v3/endpoints/{id}/submit with `create_queue` (its Batch.prepare always
 * sends it; that is how its body is told from a native one, which may carry a
 * user_runtime too), funcx 1.0 posts [function,
 * endpoint, payload] triples to /v2/submit. Their payloads are kept opaque and
 * get the globus-compute serializer, so the worker decodes them and the task
 * views answer in the SDKs' shape.
 */
import { acceptSubmission } from '../http/submission.js';
import { bodyOf } from '../http/jsonBody.js';
import { userOf } from '../http/authenticate.js';
import { UPSTREAM_SERIALIZER } from './taskView.js';
import type { AppContext, Middleware, ServiceDeps } from '../http/context.js';
import type { NewTask } from '../ledger/submitTasks.js';
import type { UpstreamSubmitRequest } from '@funcx-ts/shared/wire/upstream-submit.js';
import type { UpstreamSubmitV2Request } from '@funcx-ts/shared/wire/upstream-submit-v2.js';
import type { TaskSubmitResponse } from '@funcx-ts/shared/wire/task-submit-response.js';
import type { UpstreamSubmitV2Response } from '@funcx-ts/shared/wire/upstream-submit-v2-response.js';

/** globus-compute-sdk 2.x and later always send create_queue; native bodies never have it. */
export function isUpstreamSubmit(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'create_queue' in body;
}

/**
 * A step in the native submit route: answers an upstream body itself, passes a
 * native one on. (A separate route on the same path would authenticate twice.)
 */
export function upstreamSubmitForm(deps: ServiceDeps): Middleware {
  return async (ctx, next) => {
    if (!isUpstreamSubmit(bodyOf(ctx))) return next();
    const body = deps.validator.check('upstream-submit.json', bodyOf(ctx), 'body') as UpstreamSubmitRequest;
    const endpointId = ctx.params.endpoint_id;
    const entries = mergeByFunction(Object.entries(body.tasks));
    const submitted = await acceptSubmission(deps, ctx, {
      user: userOf(ctx),
      taskGroupId: body.task_group_id?.toLowerCase() ?? undefined,
      tasks: entries.flatMap(([functionId, payloads]) =>
        payloads.map((payload) => ({ ...upstreamTask(functionId, endpointId, payload), ...perTaskOptions(body) }))),
    });
    // The Executor asks for its result queue and starts consuming it right after this answer.
    if (body.create_queue && deps.resultQueues) await deps.resultQueues.declareQueue(userOf(ctx).id, submitted.taskGroupId);
    const tasks: TaskSubmitResponse['tasks'] = {};
    let next_ = 0;
    for (const [functionId, payloads] of entries) tasks[functionId] = submitted.taskIds.slice(next_, (next_ += payloads.length));
    const answer: TaskSubmitResponse = { request_id: submitted.requestId, task_group_id: submitted.taskGroupId, endpoint_id: endpointId, tasks };
    ctx.body = answer;
  };
}

/** POST /v2/submit (funcx 1.0): one result per task, in order, each with its task_uuid. */
export async function submitV2(deps: ServiceDeps, ctx: AppContext, body: UpstreamSubmitV2Request): Promise<UpstreamSubmitV2Response> {
  const tasks = body.tasks.map(([functionId, endpointId, payload]) => upstreamTask(functionId.toLowerCase(), endpointId.toLowerCase(), payload));
  const submitted = await acceptSubmission(deps, ctx, { user: userOf(ctx), taskGroupId: body.task_group_id?.toLowerCase() ?? undefined, tasks });
  // funcx 1.0's FuncXExecutor asks for its result queue this way (2.x renamed it create_queue) and consumes it next.
  if (body.create_websocket_queue && deps.resultQueues) await deps.resultQueues.declareQueue(userOf(ctx).id, submitted.taskGroupId);
  return {
    response: 'batch',
    request_id: submitted.requestId,
    task_group_id: submitted.taskGroupId,
    results: submitted.taskIds.map((taskId) => ({ task_uuid: taskId, http_status_code: 200, status: 'Success' })),
  };
}

function upstreamTask(functionId: string, endpointId: string, payload: string): NewTask {
  return { functionId, endpointId, payload, serializer: UPSTREAM_SERIALIZER };
}

/** Keys that differ only in case name one function: merged, so no task id goes missing from the answer. */
function mergeByFunction(entries: [string, string[]][]): [string, string[]][] {
  const merged = new Map<string, string[]>();
  for (const [key, payloads] of entries) merged.set(key.toLowerCase(), [...(merged.get(key.toLowerCase()) ?? []), ...payloads]);
  return [...merged];
}

/**
 * Stored with each task and handed to the endpoint, as a native submit's are
 * (and checked the same way): the user's settings for a multi-user endpoint,
 * the submitter's runtime (rendered into a per-user endpoint's config), and the nodes and ranks a task needs. Empty ones (as some SDK versions
 * send) ask for nothing.
 */
function perTaskOptions(body: UpstreamSubmitRequest): Pick<NewTask, 'userEndpointConfig' | 'resourceSpecification' | 'userRuntime'> {
  const config = body.user_endpoint_config;
  const resources = body.resource_specification;
  const runtime = body.user_runtime;
  return {
    ...(config && Object.keys(config).length > 0 ? { userEndpointConfig: config } : {}),
    ...(runtime && Object.keys(runtime).length > 0 ? { userRuntime: runtime } : {}),
    ...(resources && Object.keys(resources).length > 0 ? { resourceSpecification: resources } : {}),
  };
}
