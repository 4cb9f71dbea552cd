/**
 * The local executor: long-lived python3 and node worker processes (a pool
 * per runtime, started on demand and kept warm) and /bin/sh for shell tasks.
 *
 * At most `maxWorkers` tasks run at once across all runtimes (that is the
 * capacity the agent advertises); further run() calls wait. At most
 * `maxWorkers` worker processes live at once across runtimes, too: a runtime
 * that needs a new worker ends another runtime's least recently used idle one
 * (so memory follows max_workers, not max_workers per runtime), and workers
 * idle for `workerIdleMs` are ended (a pool shrinks back to nothing when its
 * runtime is not used). Every task gets
 * its walltime and can be cancelled; a worker that dies mid-task is replaced
 * and the task reported as WorkerLost with retry (the ledger runs it again).
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../src/logger.js';
import { packageRoot } from '../../src/util/paths.js';
import type { Executor, Runtime, Serializer, TaskOutcome, TaskToRun } from '../execution.js';
import { failed } from './errors.js';
import { WorkerPool } from './pool.js';
import { runInWorker } from './runInWorker.js';
import { Aborted, Semaphore } from './semaphore.js';
import { runShell } from './shell.js';
import { detectRuntimes, type RuntimeVersion } from './versions.js';
import { eitherSignal } from './walltime.js';
import { workerEnv } from './workerEnv.js';
import type { MpiSettings } from '../mpi/launcher.js';
import { MpiPlacement } from '../mpi/placement.js';
import { WorkerProcess } from './workerProcess.js';

export interface WorkerExecutorOptions {
  /** Tasks run at once, across runtimes; also each pool's process limit. */
  maxWorkers: number;
  /** The interpreter python workers run (default python3). */
  pythonInterpreter?: string;
  /** Payload serializers accepted (default both); the javascript and shell runtimes take json only. */
  allowedSerializers?: Serializer[];
  /** Bytes of each shell stream kept, from the end (default 64 KiB). */
  shellOutputCap?: number;
  /** Working folder of the workers; shell tasks get a fresh folder under it each. */
  workDir: string;
  /** End workers idle this long (0: keep them until stop). Default DEFAULT_WORKER_IDLE_MS. */
  workerIdleMs?: number;
  logger?: Logger;
  /**
   * MPI tasks: how to launch them, and the nodes handed whole to them (a block's nodes in a
   * worker manager; `localhost` in the agent). Absent: tasks with a resource_specification are refused.
   */
  mpi?: { settings: MpiSettings; nodes: string[]; described: string } | null;
}

export interface WorkerExecutor extends Executor {
  /** Pids of live worker and shell processes (tests check none outlive stop()). */
  pids(): number[];
}

const DEFAULT_SHELL_OUTPUT_CAP = 64 * 1024;
export const DEFAULT_WORKER_IDLE_MS = 5 * 60_000;
/** The idle sweep runs this often relative to the idle limit (so a worker ends within 1.25x of it), within these bounds. */
const SWEEP_FRACTION = 4;
const SWEEP_MIN_MS = 100;
const SWEEP_MAX_MS = 30_000;
/** Not compiled by tsc: loaded from the source tree whichever build runs. */
const PYTHON_WORKER = path.join(packageRoot(), 'endpoint/workers/python_worker.py');
/** Compiled next to this file. */
const JS_WORKER = fileURLToPath(new URL('./js-worker.js', import.meta.url));

export function createWorkerExecutor(options: WorkerExecutorOptions): WorkerExecutor {
  const log = (options.logger ?? createLogger('info', 'funcx-endpoint')).child({ component: 'workers' });
  const maxWorkers = Math.max(1, Math.floor(options.maxWorkers));
  const python = options.pythonInterpreter ?? 'python3';
  const serializers = options.allowedSerializers ?? ['json', 'pickle', 'globus-compute'];
  const shellOutputCap = options.shellOutputCap ?? DEFAULT_SHELL_OUTPUT_CAP;
  const env = workerEnv({ PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' });
  const slots = new Semaphore(maxWorkers);
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal); // one listener per task in flight or waiting: many is normal
  const shellPids = new Set<number>();
  const inFlight = new Set<Promise<TaskOutcome>>();
  let versions: Promise<RuntimeVersion[]> | undefined;
  const mpi = new MpiPlacement(options.mpi ?? null, stopping.signal);

  const spawner = (runtime: 'python' | 'javascript', command: string, args: string[]) => () => {
    mkdirSync(options.workDir, { recursive: true, mode: 0o700 }); // a missing cwd would look like a missing interpreter
    const worker = new WorkerProcess({ command, args, cwd: options.workDir, env, log: log.child({ runtime }) });
    log.debug({ runtime, workerPid: worker.pid }, 'worker process started');
    return worker;
  };
  const workerIdleMs = options.workerIdleMs ?? DEFAULT_WORKER_IDLE_MS;
  // Before a pool starts a worker: if max_workers processes live already, end another runtime's idle one.
  const makeRoomFor = (runtime: 'python' | 'javascript') => () => {
    if (pools.python.size + pools.javascript.size < maxWorkers) return;
    const other = runtime === 'python' ? pools.javascript : pools.python;
    if (other.evictIdle()) log.debug({ runtime, evicted: runtime === 'python' ? 'javascript' : 'python' }, 'ended an idle worker of another runtime to start one');
  };
  const pools = {
    python: new WorkerPool(spawner('python', python, [PYTHON_WORKER]), maxWorkers, makeRoomFor('python')),
    javascript: new WorkerPool(spawner('javascript', process.execPath, [JS_WORKER]), maxWorkers, makeRoomFor('javascript')),
  };
  let sweep: NodeJS.Timeout | undefined;
  const shrinkIdlePools = () => {
    for (const [runtime, pool] of Object.entries(pools)) {
      const ended = pool.shrink(workerIdleMs);
      if (ended > 0) log.debug({ runtime, ended, idleMs: workerIdleMs }, 'ended idle workers');
    }
  };

  /** Why this executor will not run the task, if it will not. */
  function refusal(task: TaskToRun): TaskOutcome | undefined {
    const accepted: Record<Runtime, Serializer[]> = {
      python: serializers,
      javascript: serializers.filter((s) => s === 'json'),
      shell: serializers.filter((s) => s === 'json'),
      mpi: serializers.filter((s) => s === 'json'),
    };
    if (!(task.runtime in accepted)) return failed('RuntimeNotAvailable', `this endpoint has no ${String(task.runtime)} runtime`);
    if (!accepted[task.runtime].includes(task.serializer)) {
      const offered = accepted[task.runtime].join(', ') || 'none';
      return failed('SerializerNotAllowed', `the ${task.runtime} runtime on this endpoint does not accept the ${task.serializer} serializer (accepted: ${offered})`);
    }
    return undefined;
  }

  async function dispatch(task: TaskToRun, signal: AbortSignal, extraEnv: Record<string, string>): Promise<TaskOutcome> {
    if (task.runtime === 'shell' || task.runtime === 'mpi') {
      return runShell(task, signal, { workDir: options.workDir, outputCap: shellOutputCap, env: { ...env, ...extraEnv }, log, stopping: stopping.signal, pids: shellPids });
    }
    return runInWorker(task, signal, { pool: pools[task.runtime], log, stopping: stopping.signal, env: extraEnv });
  }

  async function runTask(task: TaskToRun, signal: AbortSignal): Promise<TaskOutcome> {
    const refused = refusal(task);
    if (refused) return refused;
    // MPI tasks first get their nodes (whole, never shared with another MPI task), then a slot.
    const placed = await mpi.place(task, signal);
    if ('refused' in placed) return placed.refused;
    try {
      return await runOnSlot(task, signal, placed.env);
    } finally {
      placed.release();
    }
  }

  async function runOnSlot(task: TaskToRun, signal: AbortSignal, extraEnv: Record<string, string>): Promise<TaskOutcome> {
    if (!slots.tryAcquire()) {
      // All workers busy: wait, but give up if the task is cancelled or the executor stops meanwhile.
      const waiting = eitherSignal(signal, stopping.signal);
      try {
        await slots.acquire(waiting.signal);
      } catch (error) {
        if (!(error instanceof Aborted)) throw error;
        return stopping.signal.aborted
          ? failed('ExecutorStopped', 'the executor stopped before the task ran', true)
          : failed('TaskCancelled', 'the task was cancelled before it started');
      } finally {
        waiting.dispose();
      }
    }
    try {
      return await dispatch(task, signal, extraEnv);
    } catch (error) {
      // A bug of ours, not the task's: report it as a system loss so the ledger retries it.
      log.error({ err: error, taskId: task.taskId }, 'executor failed to run a task');
      return failed('WorkerLost', `the executor failed to run the task: ${(error as Error).message}`, true);
    } finally {
      slots.release();
    }
  }

  return {
    async start() {
      // Workers start on demand (the first task of a runtime pays for it); only the folder is prepared.
      mkdirSync(options.workDir, { recursive: true, mode: 0o700 });
      if (workerIdleMs > 0 && !sweep) {
        // One timer for all workers (none per task); unref'd: it never keeps the process alive.
        sweep = setInterval(shrinkIdlePools, Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, workerIdleMs / SWEEP_FRACTION)));
        sweep.unref();
      }
    },

    run(task, signal) {
      if (stopping.signal.aborted) return Promise.resolve(failed('ExecutorStopped', 'the executor is stopped', true));
      const running = runTask(task, signal);
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running));
      return running;
    },

    waitingForNodes: () => mpi.waitingTaskIds(),
    onWaitingChange: (listener) => mpi.onWaitingChange(listener),

    stats() {
      return { totalWorkers: maxWorkers, idleWorkers: Math.max(0, maxWorkers - slots.inUse) };
    },

    workerProcesses() {
      return { python: pools.python.pids().length, javascript: pools.javascript.pids().length, shell: shellPids.size };
    },

    runtimes() {
      versions ??= detectRuntimes(python, log);
      return versions;
    },

    pids() {
      return [...pools.python.pids(), ...pools.javascript.pids(), ...shellPids];
    },

    async stop() {
      stopping.abort();
      clearInterval(sweep);
      await Promise.all([pools.python.stop(), pools.javascript.stop()]);
      // Shell commands were killed by the abort; wait until each has reported.
      await Promise.allSettled([...inFlight]);
      log.debug('executor stopped');
    },
  };
}
