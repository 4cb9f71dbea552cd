/**
 * Checking that a lease was extended by the configured time, not merely moved:
 * expiries come from the database's clock (src/db/clock.ts), so the extension
 * is bracketed by two readings of that clock, and the new expiry must be the
 * extension after a moment between them. A lease moved by any other amount
 * (half, double, added to the old expiry) falls outside.
 */
import type { ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { readNow } from '../../src/db/clock.js';

/** For rounding in the clock's readings (SQLite's is a float of days): far under any extension tested. */
const CLOCK_SLACK_MS = 1_000;

export interface ClockWindow {
  from: number;
  to: number;
}

/** Runs `work` between two readings of the database's clock. */
export async function onDatabaseClock<T>(db: Knex, work: () => Promise<T>): Promise<{ value: T; window: ClockWindow }> {
  const from = await readNow(db);
  const value = await work();
  const to = await readNow(db);
  return { value, window: { from, to } };
}

/** The lease now ends `extensionMs` after a moment in `window` (with slack for rounding). */
export function assertExtendedBy(t: ExecutionContext, expiresAt: number, window: ClockWindow, extensionMs: number, what = 'the lease'): void {
  const low = window.from + extensionMs - CLOCK_SLACK_MS;
  const high = window.to + extensionMs + CLOCK_SLACK_MS;
  t.true(expiresAt >= low && expiresAt <= high, `${what} ends ${expiresAt - window.from} ms after the extension began (window ${window.to - window.from} ms); expected ${extensionMs} ms`);
}
