/**
 * The local executor: long-lived python3 and node worker processes (a pool
 * per runtime and container image, started on demand and kept warm) and
 * /bin/sh for shell tasks; with a container engine configured, workers and
 * shell commands run inside containers (the function's image, else the
 * endpoint's), see ../containers.
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
import { programScript, selfCommandLine } from '../selfCommand.js';
import { createLogger, type Logger } from '../logger.js';
import { endpointRoot } from '../packageRoot.js';
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
import { ContainerLauncher } from '../containers/launcher.js';
import type { ContainerSettings } from '../containers/settings.js';

export interface WorkerExecutorOptions {
  /** Tasks run at once, across runtimes; also each pool's process limit. */
  maxWorkers: number;
  /** The interpreter python workers run (default python3). */
  pythonInterpreter?: string;
  /** Payload serializers accepted (default both); the javascript and shell runtimes take json only. */
  allowedSerializers?: Serializer[];
  /** Bytes of each shell stream kept, from the end (default 64 KiB). */
  shellOutputCap?: number;
  /** Shell tasks' folders are kept after they end (GC_TASK_SANDBOX_DIR, as Globus Compute's sandboxes stay). */
  keepShellSandboxes?: boolean;
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
  /** Run workers and shell tasks in containers of this engine (mpi tasks stay on the host). Absent: on the host. */
  container?: ContainerSettings | null;
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
const PYTHON_WORKER = path.join(endpointRoot(), 'workers/python_worker.py');
/**
 * What a containerized worker's environment holds (engines pass none of the host's, apptainer
 * aside). FUNCX_WORKER_IN_CONTAINER: the Python worker ends at its requests' EOF even mid-task.
 */
const CONTAINER_WORKER_ENV = { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', FUNCX_WORKER_IN_CONTAINER: '1' };

type PoolRuntime = 'python' | 'javascript';

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

  const containers = options.container ? new ContainerLauncher(options.container, options.workDir, log) : undefined;
  /** The image a task runs in: its function's own, else the endpoint's default; undefined: on the host. */
  const imageOf = (task: TaskToRun): string | undefined => (task.runtime === 'mpi' ? undefined : task.containerImage ?? containers?.settings.image);

  const spawner = (runtime: PoolRuntime, image: string | undefined) => () => {
    mkdirSync(options.workDir, { recursive: true, mode: 0o700 }); // a missing cwd would look like a missing interpreter
    const workerLog = log.child(image === undefined ? { runtime } : { runtime, image });
    let worker: WorkerProcess;
    if (image === undefined || !containers) {
      const [command, ...args] = runtime === 'python' ? [python, PYTHON_WORKER] : selfCommandLine('js-worker');
      worker = new WorkerProcess({ command, args, cwd: options.workDir, env, log: workerLog });
    } else {
      // The image's own interpreters; the worker scripts are mounted at their host paths.
      const inside = runtime === 'python' ? [containers.settings.python, PYTHON_WORKER] : ['node', programScript('js-worker')];
      const container = containers.worker(image, inside, CONTAINER_WORKER_ENV);
      worker = new WorkerProcess({ command: container.command, args: container.args, cwd: options.workDir, env, log: workerLog, transport: 'stdio', cleanup: container.remove });
    }
    log.debug({ runtime, image, workerPid: worker.pid }, 'worker process started');
    return worker;
  };
  const workerIdleMs = options.workerIdleMs ?? DEFAULT_WORKER_IDLE_MS;
  /** One pool per runtime and image (python, javascript, python@IMAGE, ...), made on first use. */
  const pools = new Map<string, { runtime: PoolRuntime; pool: WorkerPool }>();
  const poolFor = (runtime: PoolRuntime, image: string | undefined): WorkerPool => {
    const key = image === undefined ? runtime : `${runtime}@${image}`;
    let entry = pools.get(key);
    if (!entry) {
      entry = { runtime, pool: new WorkerPool(spawner(runtime, image), maxWorkers, makeRoomFor(key)) };
      pools.set(key, entry);
    }
    return entry.pool;
  };
  // Before a pool starts a worker: if max_workers processes live already, end another pool's idle one.
  const makeRoomFor = (key: string) => () => {
    let live = 0;
    for (const { pool } of pools.values()) live += pool.size;
    if (live < maxWorkers) return;
    for (const [other, { pool }] of pools) {
      if (other !== key && pool.evictIdle()) {
        log.debug({ pool: key, evicted: other }, 'ended an idle worker of another pool to start one');
        return;
      }
    }
  };
  let sweep: NodeJS.Timeout | undefined;
  const shrinkIdlePools = () => {
    for (const [key, { pool }] of pools) {
      const ended = pool.shrink(workerIdleMs);
      if (ended > 0) log.debug({ pool: key, ended, idleMs: workerIdleMs }, 'ended idle workers');
    }
  };
  const allPools = () => [...pools.values()].map(({ pool }) => pool);

  /** Why this executor will not run the task, if it will not. */
  function refusal(task: TaskToRun): TaskOutcome | undefined {
    const accepted: Record<Runtime, Serializer[]> = {
      python: serializers,
      javascript: serializers.filter((s) => s === 'json'),
      shell: serializers.filter((s) => s === 'json'),
      mpi: serializers.filter((s) => s === 'json'),
    };
    if (!(task.runtime in accepted)) return failed('RuntimeNotAvailable', `this endpoint has no ${String(task.runtime)} runtime`);
    if (task.containerImage && !containers) {
      return failed('ContainerNotAvailable', `the function runs in container image ${task.containerImage}, but this endpoint runs no containers (its config has no container:)`);
    }
    if (task.containerImage && task.runtime === 'mpi') {
      return failed('ContainerNotAvailable', 'mpi functions run on the host (the launcher starts their ranks): put the container command into the template instead of registering an image');
    }
    if (!accepted[task.runtime].includes(task.serializer)) {
      const offered = accepted[task.runtime].join(', ') || 'none';
      return failed('SerializerNotAllowed', `the ${task.runtime} runtime on this endpoint does not accept the ${task.serializer} serializer (accepted: ${offered})`);
    }
    return undefined;
  }

  async function dispatch(task: TaskToRun, signal: AbortSignal, extraEnv: Record<string, string>): Promise<TaskOutcome> {
    const image = imageOf(task);
    if (task.runtime === 'shell' || task.runtime === 'mpi') {
      const inContainer = image !== undefined && containers ? { wrap: (cmd: string, cwd: string) => containers.shell(image, cmd, cwd, extraEnv) } : {};
      return runShell(task, signal, { workDir: options.workDir, outputCap: shellOutputCap, keepSandbox: options.keepShellSandboxes === true, env: { ...env, ...extraEnv }, log, stopping: stopping.signal, pids: shellPids, ...inContainer });
    }
    return runInWorker(task, signal, { pool: poolFor(task.runtime, image), log, stopping: stopping.signal, env: extraEnv });
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
      const counts: Record<string, number> = { python: 0, javascript: 0, shell: shellPids.size };
      for (const { runtime, pool } of pools.values()) counts[runtime] += pool.pids().length;
      return counts;
    },

    runtimes() {
      versions ??= detectRuntimes(python, log);
      return versions;
    },

    pids() {
      return [...allPools().flatMap((pool) => pool.pids()), ...shellPids];
    },

    async stop() {
      stopping.abort();
      clearInterval(sweep);
      await Promise.all(allPools().map((pool) => pool.stop()));
      // Shell commands were killed by the abort; wait until each has reported.
      await Promise.allSettled([...inFlight]);
      log.debug('executor stopped');
    },
  };
}
