/**
 * The contract between the endpoint agent (which leases tasks and reports
 * results) and whatever executes them (worker processes per runtime, later
 * batch-scheduler blocks). The agent knows nothing of runtimes; executors know
 * nothing of the service.
 */

import type { ResourceSpecification } from '@funcx-ts/shared/resourceSpecification.js';

export type Runtime = 'python' | 'javascript' | 'shell' | 'mpi';
/** globus-compute: the upstream SDKs' pack_buffers payloads (see workers/globus_compute_serde.py). */
export type Serializer = 'json' | 'pickle' | 'globus-compute';

export interface TaskToRun {
  taskId: string;
  attempt: number;
  functionId: string;
  runtime: Runtime;
  /** python/javascript: the function's source; shell: the command template. */
  source: string;
  /** The function to call inside source (python, javascript). */
  entryPoint: string | null;
  /** 'globus-compute': source is the upstream SDKs' packed function_code (python only). */
  codeSerializer?: 'globus-compute';
  /** Run it in a container of this image (the function's own; else the executor's default image, if any). */
  containerImage?: string;
  /** Serialized {args, kwargs}: JSON text for json, base64 of a pickled (args, kwargs) tuple for pickle. */
  payload: string;
  serializer: Serializer;
  /** Ends the task after this long (shell: return code 124; others: TaskWalltimeExceeded). */
  walltimeMs: number;
  /** Nodes and MPI ranks, as submitted (resolved by the executor, which builds the launcher prefix from it). */
  resourceSpecification?: ResourceSpecification;
  /**
   * Live output: what the task prints (stdout and stderr together, in order), as it prints it.
   * Shell and python tasks on local workers call it; others do not (their output comes with the result).
   */
  onOutput?: (text: string) => void;
}

export interface RemoteException {
  type: string;
  message: string;
  traceback?: string;
  /** The exception object in the task's serializer, when the runtime could provide it (pickle). */
  serialized?: string;
}

/** What became of one attempt. `retry` marks a system loss (WorkerLost), not the user's exception. */
export type TaskOutcome =
  | { status: 'success'; result: string; resultSerializer: Serializer }
  | { status: 'failed'; exception: RemoteException; retry?: boolean };

export interface ExecutorStats {
  totalWorkers: number;
  idleWorkers: number;
}

/** One block as the endpoint's status reports it. */
export interface BlockDetails {
  block_id: string;
  job_id: string | null;
  state: string;
  scheduler_state?: string;
  managers: { manager_id: string; hostname: string; slots: number; running: number }[];
}

/** What an executor adds to the heartbeat's free-form details. */
export interface ExecutorDetails {
  blocks: BlockDetails[];
  /** The last few blocks that ended or could not be submitted, newest first: the status says why they are gone. */
  ended_blocks?: BlockDetails[];
  /** Tasks the endpoint holds that wait for a worker slot on a block still to come. */
  waiting_for_nodes: number;
  listen_port: number;
}

export interface Executor {
  /**
   * Tasks it can take now and soon (blocks on their way count); when absent, the
   * agent uses max_workers. An executor with capacity() queues tasks itself.
   */
  capacity?(): number;
  /** Called when capacity() may have grown (a manager connected, a slot freed). */
  onCapacityChange?(listener: () => void): void;
  details?(): ExecutorDetails;
  /** Tasks (ids) given to run() that wait for nodes: not on a worker yet (their block is still to come). */
  waitingForNodes?(): string[];
  /** Called when waitingForNodes() may have changed (a task started, or began to wait). */
  onWaitingChange?(listener: () => void): void;
  /** Stopping: tasks not yet on a worker are given up (their run() settles) and their ids returned, to be handed back. */
  withdrawWaiting?(): string[];
  start(): Promise<void>;
  /** Runs one task; resolves with its outcome, never rejects for the task's own failure. Aborting kills it. */
  run(task: TaskToRun, signal: AbortSignal): Promise<TaskOutcome>;
  stats(): ExecutorStats;
  /** Live worker processes by runtime (for the endpoint's metrics). */
  workerProcesses?(): Record<string, number>;
  /** Runtimes this executor offers, with versions (reported in heartbeats). */
  runtimes(): Promise<{ name: string; version: string }[]>;
  /** Stops all workers; running tasks are killed. */
  stop(): Promise<void>;
}
