/**
 * Listing tasks, newest first, keyset-paged (src/ledger/listTasks.ts):
 * a user's own tasks (GET /v3/tasks), and what is queued and running on an
 * endpoint from every user, for its owner (GET /v3/endpoints/{id}/tasks).
 * Both show summaries only: an endpoint's owner sees who submitted what and
 * when, never another user's payloads or results.
 */
import Router from '@koa/router';
import { readNow } from '../../db/clock.js';
import { requireUser, userOf } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { queryIn, validQuery } from '../validatedInput.js';
import { getOwnedEndpoint } from '../../registry/endpoints.js';
import { listTasks, type TaskListFilters, type TaskListScope } from '../../ledger/listTasks.js';
import { RUNNING, WAITING, WAITING_FOR_NODES } from '../../ledger/model.js';
import { decodeCursor, encodeCursor, listingFingerprint } from '../taskListCursor.js';
import { parseTimeBound } from '../timeBound.js';
import type { Knex } from 'knex';
import type { RequestState, ServiceDeps } from '../context.js';
import type { TaskListQuery } from '@funcx-ts/shared/wire/task-list-query.js';
import type { TaskListResponse } from '@funcx-ts/shared/wire/task-list-response.js';
import type { TaskRecord } from '@funcx-ts/shared/wire/task.js';

/** What an endpoint's listing shows unless asked otherwise: the work it has now. */
const ENDPOINT_DEFAULT_STATUSES = [WAITING, WAITING_FOR_NODES, RUNNING].join(',');

export function taskListingRoutes({ db, validator }: ServiceDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const user = requireUser(db);
  const query = validQuery(validator, 'task-list-query.json');

  router.get('/v3/tasks', user, query, async (ctx) => {
    const request = queryIn<TaskListQuery & { limit: number }>(ctx);
    const caller = userOf(ctx).id;
    ctx.body = await listPage(db, { submitter: caller }, request, { who: caller, scope: 'mine' });
  });

  router.get('/v3/endpoints/:endpoint_id/tasks', user, uuidParams('endpoint_id'), query, async (ctx) => {
    const endpoint = await getOwnedEndpoint(db, userOf(ctx), ctx.params.endpoint_id);
    const request = queryIn<TaskListQuery & { limit: number }>(ctx);
    const withDefault = { ...request, status: request.status ?? ENDPOINT_DEFAULT_STATUSES };
    ctx.body = await listPage(db, { endpointId: endpoint.id }, withDefault, { who: userOf(ctx).id, scope: `endpoint:${endpoint.id}` });
  });

  return router;
}

async function listPage(
  db: Knex,
  scope: TaskListScope,
  request: TaskListQuery & { limit: number },
  listing: { who: string; scope: string },
): Promise<TaskListResponse> {
  // The cursor belongs to this caller, scope and these filters as written (a relative since
  // moves with the clock, but a cursor only ever goes back in time, so it stays correct).
  const fingerprint = listingFingerprint({
    who: listing.who, scope: listing.scope, status: request.status, endpoint_id: request.endpoint_id?.toLowerCase(),
    function_id: request.function_id?.toLowerCase(), task_group_id: request.task_group_id?.toLowerCase(), since: request.since, until: request.until,
  });
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, fingerprint);
  const needsNow = request.since !== undefined || request.until !== undefined;
  const dbNow = needsNow ? await readNow(db) : 0;
  const filters: TaskListFilters = {
    ...(request.status ? { statuses: request.status.split(',') as TaskRecord['status'][] } : {}),
    ...(request.endpoint_id ? { endpointId: request.endpoint_id.toLowerCase() } : {}),
    ...(request.function_id ? { functionId: request.function_id.toLowerCase() } : {}),
    ...(request.task_group_id ? { taskGroupId: request.task_group_id.toLowerCase() } : {}),
    ...(request.since !== undefined ? { since: parseTimeBound('since', request.since, dbNow) } : {}),
    ...(request.until !== undefined ? { until: parseTimeBound('until', request.until, dbNow) } : {}),
  };
  const page = await listTasks(db, { scope, filters, after, limit: request.limit });
  return { tasks: page.tasks, next_cursor: page.next ? encodeCursor(page.next, fingerprint) : null };
}
