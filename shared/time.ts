/** Durations in named units, so a value reads as what it means (`14 * DAY`). */
export const MILLISECOND = 1;
export const SECOND = 1000 * MILLISECOND;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const UNITS: Record<string, number> = { ms: MILLISECOND, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/**
 * Parses "500ms", "90s", "5m", "2h", "14d", or a bare number of seconds.
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * SECOND : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']);
}

/** The largest whole unit: 1209600000 -> "14d", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', SECOND]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Epoch milliseconds (as stored in the ledger) to ISO 8601, keeping null. */
export function isoOrNull(ms: number | string | null | undefined): string | null {
  return ms == null ? null : new Date(Number(ms)).toISOString();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
