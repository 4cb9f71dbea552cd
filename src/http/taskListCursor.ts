/**
 * The cursor of a task listing: opaque to clients, and refused (400
 * InvalidCursor) unless it is one this service issued for the same listing.
 *
 * Format: `v1.` + base64url(JSON {t: created_at, s: seq, q: fingerprint}).
 * The version tag lets a later format coexist; the fingerprint ties the cursor
 * to the listing it came from (who lists, which scope, which filters), so a
 * cursor carried to another query, or to another user, is refused rather than
 * silently skipping rows. It hides nothing secret (seq and created_at are not
 * private to the caller), so it needs no signature: only a strict parse.
 */
import { createHash } from 'node:crypto';
import { InvalidCursor } from '../errors.js';
import type { TaskListKey } from '../ledger/listTasks.js';

const VERSION = 'v1';
/** Longer is not one we issued (and is not worth decoding). */
const MAX_CURSOR_CHARS = 256;

/** A short digest of what makes a listing itself: caller, scope and filters as given. */
export function listingFingerprint(parts: Record<string, string | undefined>): string {
  const canonical = JSON.stringify(Object.keys(parts).sort().map((key) => [key, parts[key] ?? null]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function encodeCursor(key: TaskListKey, fingerprint: string): string {
  return `${VERSION}.${Buffer.from(JSON.stringify({ t: key.createdAt, s: key.seq, q: fingerprint })).toString('base64url')}`;
}

export function decodeCursor(cursor: string, fingerprint: string): TaskListKey {
  const refuse = (why: string): never => {
    throw new InvalidCursor(`cursor is not one this listing issued (${why}); start again without a cursor`);
  };
  if (cursor.length > MAX_CURSOR_CHARS) refuse('too long');
  const [version, body, ...rest] = cursor.split('.');
  if (version !== VERSION || body === undefined || rest.length > 0 || !/^[A-Za-z0-9_-]+$/.test(body)) refuse('unknown format');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
  } catch {
    refuse('unreadable');
  }
  const { t, s, q } = (parsed ?? {}) as { t?: unknown; s?: unknown; q?: unknown };
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || (t as number) < 0 || (s as number) < 0) refuse('unreadable');
  if (q !== fingerprint) refuse('it belongs to another listing or filter');
  return { createdAt: t as number, seq: s as number };
}
