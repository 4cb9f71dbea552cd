/**
 * The Actions API's routes, relative to the base path: both the original
 * (/run, /{id}/status, ...) and the newer (/actions, /actions/{id}, ...) forms,
 * each a short pipeline: who is calling, may they, act, answer.
 */
import Router from '@koa/router';
import { readNow, bodyOf, singleQueryValue, strictInteger, taskKey } from '../src/forParts.js';
import type { AppContext, RequestState, ServiceDeps, UserPrincipal } from '../src/forParts.js';
import { principalList } from './config.js';
import { ActionConflict, ActionNotFound, BadActionRequest, ForbiddenRequest, RequestValidationError } from './errors.js';
import { identityUrn, isAllowed } from './principals.js';
import { describeProvider } from './description.js';
import { requireCaller } from './auth.js';
import { parseActionRequest, releaseAfterOf, requestHash } from './request.js';
import { planTasks } from './input.js';
import { ACTIVE, toActionStatus, type ActionRow, type ActionStatusValue } from './model.js';
import { createAction, findReplay } from './store/createAction.js';
import { loadAction } from './store/loadAction.js';
import { endAction, refreshAction, type Refreshed } from './store/refreshAction.js';
import { readActionTasks } from './store/readActionTasks.js';
import { deleteAction } from './store/deleteAction.js';
import { listActions, type Role } from './store/listActions.js';
import { DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT, logEntries, logPage } from './log.js';
import { formatIsoDuration } from './duration.js';

export function actionRoutes(deps: ServiceDeps, prefix: string): Router<RequestState> {
  const { db, config, validator, wakeups } = deps;
  const router = new Router<RequestState>({ prefix });
  const description = describeProvider(config);
  const visibleTo = principalList(config.actionProviderVisibleTo);
  const runnableBy = principalList(config.actionProviderRunnableBy);

  const answer = (ctx: AppContext, refreshed: Refreshed, status = 200) => {
    for (const id of refreshed.cancelledTaskIds) wakeups.notify(taskKey(id));
    ctx.status = status;
    ctx.body = toActionStatus(refreshed.row, refreshed.active);
  };

  /** The action, if the caller may watch it; not revealed (404) otherwise. */
  const monitored = async (ctx: AppContext): Promise<{ user: UserPrincipal; row: ActionRow }> => {
    const user = await requireCaller(db, ctx);
    const row = await loadAction(db, ctx.params.action_id);
    if (!isAllowed(user, [...parseList(row.monitor_by), ...parseList(row.manage_by)])) throw new ActionNotFound(`action ${ctx.params.action_id} not found`);
    return { user, row };
  };

  /** The action, if the caller may manage it: 403 for a watcher, 404 for anyone else. */
  const managed = async (ctx: AppContext): Promise<ActionRow> => {
    const { user, row } = await monitored(ctx);
    if (!isAllowed(user, parseList(row.manage_by))) throw new ForbiddenRequest(`you may watch action ${row.id} but not manage it (manage_by)`);
    return row;
  };

  router.get('/', async (ctx) => {
    const user = visibleTo.includes('public') ? undefined : await requireCaller(db, ctx);
    if (user && !isAllowed(user, visibleTo)) throw new ForbiddenRequest('this Action Provider is not visible to you (visible_to)');
    // Flow editors in a browser read the description from another origin.
    if (visibleTo.includes('public')) ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = description;
  });

  const run = async (ctx: AppContext) => {
    const user = await requireCaller(db, ctx);
    if (!isAllowed(user, runnableBy)) throw new ForbiddenRequest('you may not run actions on this provider (runnable_by)');
    const request = parseActionRequest(validator, bodyOf(ctx));
    const tasks = planTasks(validator, request.body as Record<string, unknown>);
    const hash = requestHash(request);
    const replay = await findReplay(db, user.id, request.request_id, hash);
    if (replay) return answer(ctx, await refreshAction(db, replay), 200);

    const releaseAfter = releaseAfterOf(request);
    const deadline = request.deadline === undefined ? undefined : Date.parse(request.deadline);
    if (deadline !== undefined) {
      const dbNow = await readNow(db);
      if (deadline <= dbNow) throw new RequestValidationError(`Field 'deadline' (${request.deadline}) has passed: the action could not complete by then`);
      if (deadline - dbNow > config.actionProviderMaximumDeadline) {
        throw new RequestValidationError(`Field 'deadline' (${request.deadline}) is later than this provider's maximum_deadline (${formatIsoDuration(config.actionProviderMaximumDeadline)} from now)`);
      }
    }
    const creator = identityUrn(user.id);
    const { row, created } = await createAction(deps, ctx, {
      user,
      requestId: request.request_id,
      requestHash: hash,
      tasks,
      label: request.label,
      // The creator may always watch and manage what it started.
      monitorBy: [...new Set([creator, ...(request.monitor_by ?? [])])],
      manageBy: [...new Set([creator, ...(request.manage_by ?? [])])],
      releaseAfter: releaseAfter.text,
      releaseAfterMs: releaseAfter.ms,
      deadline,
    });
    answer(ctx, await refreshAction(db, row), created ? 202 : 200);
  };
  router.post('/run', run);
  router.post('/actions', run);

  const status = async (ctx: AppContext) => {
    const { row } = await monitored(ctx);
    answer(ctx, await refreshAction(db, row));
  };
  router.get('/:action_id/status', status);
  router.get('/actions/:action_id', status);

  const cancel = async (ctx: AppContext) => {
    const row = (await refreshAction(db, await managed(ctx))).row;
    if (row.status !== ACTIVE) throw new ActionConflict(`action ${row.id} has already completed (${row.status}): there is nothing to cancel`);
    answer(ctx, await endAction(db, row, { code: 'ActionCancelled', description: 'the action was cancelled; its pending tasks were cancelled' }));
  };
  router.post('/:action_id/cancel', cancel);
  router.post('/actions/:action_id/cancel', cancel);

  const release = async (ctx: AppContext) => {
    const refreshed = await refreshAction(db, await managed(ctx));
    if (refreshed.row.status === ACTIVE) throw new ActionConflict(`action ${refreshed.row.id} is still ACTIVE: release it once it has completed, or cancel it first`);
    if (!(await deleteAction(db, refreshed.row))) throw new ActionNotFound(`action ${refreshed.row.id} not found`);
    answer(ctx, refreshed);
  };
  router.post('/:action_id/release', release);
  router.delete('/actions/:action_id', release);

  const log = async (ctx: AppContext) => {
    // The query is checked before the action is looked up, as every route checks its input first.
    const limit = parseLimit(ctx.query.limit);
    const marker = single(ctx.query.marker, 'marker');
    const { row: stale } = await monitored(ctx);
    const { row } = await refreshAction(db, stale);
    const page = logPage(logEntries(row, await readActionTasks(db, row)), limit, marker || undefined);
    ctx.body = { action_id: row.id, limit, ...page };
  };
  router.get('/:action_id/log', log);
  router.get('/actions/:action_id/log', log);

  router.get('/actions', async (ctx) => {
    const user = await requireCaller(db, ctx);
    const roles = parseChoices(ctx.query.roles, 'roles', ROLE_NAMES, 'creator_id') as Set<Role>;
    const statuses = parseChoices(ctx.query.status, 'status', STATUS_NAMES, ACTIVE) as Set<ActionStatusValue>;
    const found = await listActions(db, user, roles, statuses);
    for (const refreshed of found) for (const id of refreshed.cancelledTaskIds) wakeups.notify(taskKey(id));
    ctx.body = found.map((refreshed) => toActionStatus(refreshed.row, refreshed.active));
  });

  return router;
}

const ROLE_NAMES: Record<string, string> = { creator: 'creator_id', creator_id: 'creator_id', monitor_by: 'monitor_by', manage_by: 'manage_by' };
const STATUS_NAMES: Record<string, string> = { active: 'ACTIVE', inactive: 'INACTIVE', succeeded: 'SUCCEEDED', failed: 'FAILED' };

function parseList(json: string): string[] {
  return JSON.parse(json) as string[];
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  return singleQueryValue(name, value);
}

function parseChoices(value: string | string[] | undefined, name: string, names: Record<string, string>, fallback: string): Set<string> {
  const given = (Array.isArray(value) ? value.join(',') : value ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (given.length === 0) return new Set([fallback]);
  const chosen = new Set<string>();
  for (const item of given) {
    const canonical = names[item.toLowerCase()];
    if (!canonical) throw new BadActionRequest(`${name}=${item} is not one of ${Object.keys(names).join(', ')}`);
    chosen.add(canonical);
  }
  return chosen;
}

function parseLimit(value: string | string[] | undefined): number {
  // The service's one strict parser (inputLimits.ts): a bad limit is a 400 naming it, in this API's shape.
  const text = singleQueryValue('limit', value);
  if (text === undefined || text === '') return DEFAULT_LOG_LIMIT;
  return strictInteger('limit', text, { minimum: 1, maximum: MAX_LOG_LIMIT });
}
