/**
 * `since` and `until` of a task listing: an ISO 8601 date or time
 * (2026-12-06, 2026-12-06T15:00:00Z), or a duration back from now (30m, 1h,
 * 7d: now minus that). "Now" is the database clock's, the clock tasks'
 * created_at comes from, so a replica with a skewed clock lists the same tasks.
 */
import { InvalidTimeBound } from '../errors.js';
import { parseDuration } from '../util/time.js';

const RELATIVE = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of `text`, relative durations counted back from `dbNow`; InvalidTimeBound when it does not parse. */
export function parseTimeBound(name: 'since' | 'until', text: string, dbNow: number): number {
  const trimmed = text.trim();
  if (RELATIVE.test(trimmed)) return dbNow - parseDuration(trimmed)!;
  const ms = ISO_8601.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidTimeBound(`${name} "${text}" is neither an ISO 8601 time (2026-12-06T15:00:00Z) nor a duration back from now (30m, 1h, 7d)`);
  }
  return ms;
}
