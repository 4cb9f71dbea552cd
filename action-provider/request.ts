/**
 * The run request's envelope: checked against schemas/action-request.json,
 * then its deadline and release_after read. Its canonical hash decides whether
 * a repeated request_id is the same request (200) or another one (409).
 */
import { createHash } from 'node:crypto';
import { DAY } from '../src/forParts.js';
import type { Validator } from '../src/forParts.js';
import type { ActionRequest } from '@funcx-ts/shared/wire/action-request.js';
import { BadActionRequest, RequestValidationError } from './errors.js';
import { checkSchema } from './validation.js';
import { parseIsoDuration } from './duration.js';

export const DEFAULT_RELEASE_AFTER = 'P30D';
export const MAX_RELEASE_AFTER_MS = 3650 * DAY;

export function parseActionRequest(validator: Validator, raw: unknown): ActionRequest {
  if (raw === undefined) throw new BadActionRequest('send an ActionRequest as a JSON object: {"request_id": ..., "body": {...}}');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RequestValidationError('the request must be a JSON object');
  return checkSchema<ActionRequest>(validator, 'action-request.json', raw, '');
}

export function releaseAfterOf(request: ActionRequest): { text: string; ms: number } {
  const text = request.release_after ?? DEFAULT_RELEASE_AFTER;
  const ms = parseIsoDuration(text);
  if (ms === undefined) throw new RequestValidationError(`Field 'release_after' must be an ISO 8601 duration such as P30D`);
  if (ms > MAX_RELEASE_AFTER_MS) throw new RequestValidationError(`Field 'release_after' is longer than this provider keeps actions (P3650D)`);
  return { text, ms };
}

/** The fields that make a request what it is; unknown top-level keys do not count. */
export function requestHash(request: ActionRequest): string {
  const sorted = (list?: string[]) => (list ? [...list].sort() : null);
  const canonical = canonicalJson({
    request_id: request.request_id,
    body: request.body,
    label: request.label ?? null,
    monitor_by: sorted(request.monitor_by),
    manage_by: sorted(request.manage_by),
    allowed_clients: sorted(request.allowed_clients),
    deadline: request.deadline ? Date.parse(request.deadline) : null,
    release_after: request.release_after ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted, so key order in the request does not matter. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
