/**
 * What the OpenAPI document says of the Action Provider beyond its route table:
 * each route's summary, answer schema and error codes (keyed relative to the
 * base path), and the status of every code this API answers with.
 */
import type { Annotation } from '../src/forParts.js';
import * as errors from './errors.js';

const RUN_ERRORS = ['BadActionRequest', 'RequestValidationError', 'ForbiddenRequest', 'ActionConflict'];
const MANAGE_ERRORS = ['ActionNotFound', 'ForbiddenRequest', 'ActionConflict'];

export const ACTION_PROVIDER_ANNOTATIONS: Readonly<Record<string, Annotation>> = {
  'GET ': { summary: 'Action Provider introspection', response: 'action-provider-introspection.json', auth: 'optional-user', errors: ['ForbiddenRequest'] },
  'POST /run': { summary: 'Run an action', status: 202, body: 'action-request.json', response: 'action-status.json', auth: 'user', errors: RUN_ERRORS },
  'POST /actions': { summary: 'Run an action', status: 202, body: 'action-request.json', response: 'action-status.json', auth: 'user', errors: RUN_ERRORS },
  'GET /{action_id}/status': { summary: 'An action\'s status', response: 'action-status.json', auth: 'user', errors: ['ActionNotFound'] },
  'GET /actions/{action_id}': { summary: 'An action\'s status', response: 'action-status.json', auth: 'user', errors: ['ActionNotFound'] },
  'POST /{action_id}/cancel': { summary: 'Cancel an action', response: 'action-status.json', auth: 'user', errors: MANAGE_ERRORS },
  'POST /actions/{action_id}/cancel': { summary: 'Cancel an action', response: 'action-status.json', auth: 'user', errors: MANAGE_ERRORS },
  'POST /{action_id}/release': { summary: 'Release a completed action', response: 'action-status.json', auth: 'user', errors: MANAGE_ERRORS },
  'DELETE /actions/{action_id}': { summary: 'Release a completed action', response: 'action-status.json', auth: 'user', errors: MANAGE_ERRORS },
  'GET /{action_id}/log': { summary: 'An action\'s log, paged', response: 'action-log.json', auth: 'user', errors: ['ActionNotFound', 'BadActionRequest'] },
  'GET /actions/{action_id}/log': { summary: 'An action\'s log, paged', response: 'action-log.json', auth: 'user', errors: ['ActionNotFound', 'BadActionRequest'] },
  'GET /actions': { summary: 'Actions the caller may see, by role and status', auth: 'user', errors: ['BadActionRequest'] },
};

/** Every code of errors.ts with its status, and the two codes toActionError answers in place of the service's. */
export function actionErrorStatuses(): Map<string, number> {
  const statuses = new Map<string, number>();
  for (const [name, value] of Object.entries(errors)) {
    if (typeof value !== 'function' || !(value.prototype instanceof errors.ActionProviderFailure)) continue;
    const status = (new (value as new (message: string) => errors.ActionProviderFailure)('')).status;
    if (typeof status === 'number') statuses.set(name, status);
  }
  statuses.set('NotFound', 404);
  statuses.set('ActionProviderError', 500);
  return statuses;
}
