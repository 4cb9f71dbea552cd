/**
 * The config check of `worker_idle_timeout` (endpoint/config.ts calls it), beside the workers it
 * governs (index.ts ends idle workers). Its own module so the config loader does not load the
 * worker pools.
 */

/** In ms: 0 keeps workers until stop; shorter than 1s would end them between one task and the next. */
export function workerIdleProblem(workerIdleMs: number): string | undefined {
  if (workerIdleMs !== 0 && workerIdleMs < 1_000) return 'worker_idle_timeout: must be 0 (never) or at least 1s';
  return undefined;
}
