/**
 * One python or javascript task on a worker from its runtime's pool, with the
 * walltime and cancellation every task gets. User code cannot be interrupted
 * politely mid-call, so both end it the same way: the worker is killed (the
 * pool starts a fresh one for the next task).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { TaskOutcome, TaskToRun } from '../execution.js';
import { failed } from './errors.js';
import type { WorkerPool } from './pool.js';
import { Aborted } from './semaphore.js';
import { WorkerExited, type WorkerProcess } from './workerProcess.js';
import { eitherSignal, startWalltime } from './walltime.js';
import { CANCEL_GRACE_MS } from './processGroup.js';

/** A worker that is not ready by then (a hung interpreter start, a stalled file system) is given up on. */
const WORKER_START_TIMEOUT_MS = 30_000;

/** Failures the worker reports before the user's function ever ran: the function did not compile. */
const NOT_COMPILED = new Set(['FunctionSourceInvalid', 'EntryPointNotFound', 'FunctionCodeInvalid', 'DillNotAvailable']);

export interface RunInWorkerOptions {
  pool: WorkerPool;
  log: Logger;
  /** Fires when the executor stops: tasks killed by it are retried elsewhere. */
  stopping: AbortSignal;
  /** Variables set for this call only (an MPI task's PARSL_MPI_PREFIX and its numbers). */
  env?: Record<string, string>;
}

/** Identifies one compiled function; mirrors the worker's own cache key. */
export function functionKey(task: TaskToRun): string {
  // Hashing the source for every task showed in profiles; the same function's source is the same
  // string, so compare it instead and hash only a new one.
  const id = `${task.functionId}/${task.entryPoint ?? ''}`;
  const known = recentKeys.get(id);
  if (known?.source === task.source) return known.key;
  const key = `${id}/${createHash('sha256').update(task.source).digest('hex')}`;
  if (recentKeys.size >= RECENT_KEYS) recentKeys.clear();
  recentKeys.set(id, { source: task.source, key });
  return key;
}

/** Function keys of recently run functions (by function id and entry point). */
const recentKeys = new Map<string, { source: string; key: string }>();
const RECENT_KEYS = 1024;

export async function runInWorker(task: TaskToRun, signal: AbortSignal, options: RunInWorkerOptions): Promise<TaskOutcome> {
  const { pool, stopping } = options;
  // No child logger per task (it showed in profiles): the few log lines below carry these fields.
  const log = options.log;
  const where = { taskId: task.taskId, runtime: task.runtime };
  const key = functionKey(task);
  let worker: WorkerProcess | undefined = pool.tryAcquire(key);
  if (!worker) {
    const waiting = eitherSignal(signal, stopping);
    try {
      worker = await pool.acquire(key, waiting.signal);
    } catch (error) {
      if (stopping.aborted) return failed('ExecutorStopped', 'the executor stopped before the task ran', true);
      if (error instanceof Aborted) return cancelled();
      throw error;
    } finally {
      waiting.dispose();
    }
  }
  const acquired = worker;

  let ended: 'walltime' | 'cancelled' | 'start-timeout' | undefined;
  const end = (why: NonNullable<typeof ended>) => {
    ended ??= why;
    // A cancel gives the task's processes a moment (SIGTERM) before SIGKILL; a walltime does not.
    void (why === 'cancelled' ? acquired.terminate(CANCEL_GRACE_MS) : acquired.kill());
  };
  const onAbort = () => end('cancelled');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) end('cancelled');
  let walltime: { clear(): void } | undefined;
  // A warm worker needs no start timer (one timer fewer per task).
  const startTimer = worker.isReady ? undefined : setTimeout(() => end('start-timeout'), WORKER_START_TIMEOUT_MS);
  try {
    if (!worker.isReady) await worker.ready;
    clearTimeout(startTimer);
    // The walltime measures the task, not the worker's start.
    walltime = startWalltime(task.walltimeMs, () => end('walltime'));
    const reply = await worker.call({
      task_id: task.taskId,
      function_id: task.functionId,
      source: task.source,
      entry_point: task.entryPoint,
      ...(task.codeSerializer ? { code_serializer: task.codeSerializer } : {}),
      payload: task.payload,
      serializer: task.serializer,
      ...(options.env && Object.keys(options.env).length > 0 ? { env: options.env } : {}),
      ...(task.onOutput ? { stream_output: true } : {}),
    }, task.onOutput);
    if (!NOT_COMPILED.has(reply.exception?.type ?? '')) worker.warm.add(key);
    log.debug({ ...where, workerPid: worker.pid, cached: reply.cached, status: reply.status }, 'task ran in worker');
    if (reply.status === 'success') {
      return { status: 'success', result: reply.result ?? 'null', resultSerializer: task.serializer };
    }
    return { status: 'failed', exception: reply.exception ?? { type: 'WorkerProtocolError', message: 'the worker reported a failure without an exception' } };
  } catch (error) {
    if (!(error instanceof WorkerExited)) throw error;
    if (ended === 'cancelled') return cancelled();
    if (ended === 'walltime') {
      return failed('TaskWalltimeExceeded', `the task ran longer than its walltime of ${task.walltimeMs} ms and was killed`);
    }
    if (stopping.aborted) return failed('ExecutorStopped', 'the executor stopped while the task was running', true);
    if (ended === 'start-timeout') {
      return failed('WorkerStartFailed', `the ${task.runtime} worker process was not ready within ${WORKER_START_TIMEOUT_MS} ms`);
    }
    if (error.beforeReady) {
      const why = error.exit.spawnError?.message ?? `${error.exit.description}: ${lastLine(worker.lastStderr)}`;
      log.error({ ...where, stderr: worker.lastStderr }, 'worker process could not start');
      return failed('WorkerStartFailed', `the ${task.runtime} worker process could not start (${why})`);
    }
    log.warn({ ...where, workerPid: worker.pid, exit: error.exit.description, stderr: worker.lastStderr }, 'worker lost while running a task');
    return failed('WorkerLost', `worker process exited with ${error.exit.description} while running the task`, true);
  } finally {
    clearTimeout(startTimer);
    walltime?.clear();
    signal.removeEventListener('abort', onAbort);
    pool.release(worker);
  }
}

function cancelled(): TaskOutcome {
  return failed('TaskCancelled', 'the task was cancelled');
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() || 'no output';
}
