/** Per-task walltime timers. */

/** setTimeout's ceiling (about 24.8 days); longer walltimes are clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `onExpire` after `walltimeMs`; a walltime that is not a positive number means none. */
export function startWalltime(walltimeMs: number, onExpire: () => void): { clear(): void } {
  if (!(walltimeMs > 0)) return { clear() {} };
  const timer = setTimeout(onExpire, Math.min(walltimeMs, MAX_TIMER_MS));
  return { clear: () => clearTimeout(timer) };
}

/** A signal that fires when either input does; dispose() detaches it from both (no lingering listeners). */
export function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      a.removeEventListener('abort', abort);
      b.removeEventListener('abort', abort);
    },
  };
}
