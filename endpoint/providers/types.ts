/**
 * An execution provider gets compute from somewhere (this machine, a batch
 * scheduler, a cluster API) in units called blocks. The agent decides how many
 * blocks it wants; the provider only submits, reports and cancels them. A
 * block's job runs `command` (the worker manager) once per node, after the
 * `worker_init` lines.
 *
 * Batch schedulers fit as they are (Slurm: sbatch / squeue / scancel; PBS:
 * qsub / qstat / qdel); Kubernetes fits with a block as a pod (or a job of N
 * pods), submit = create, status = the pod phase, cancel = delete.
 */

/** A block's life as the scheduler reports it. Terminal states never change again. */
export type BlockState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'unknown';

export const TERMINAL_STATES: ReadonlySet<BlockState> = new Set(['completed', 'failed', 'cancelled', 'timeout']);

export interface BlockRequest {
  /** The agent's name for the block (b1, b2, ...); also in the job's name. */
  blockId: string;
  /** The worker manager's command line, started once per node of the block. */
  command: string[];
  /** Shell lines run before the command (module load, conda activate). */
  workerInit: string[];
  /** A folder the provider may write the job script and its output into. */
  scriptDir: string;
}

export interface BlockStatus {
  state: BlockState;
  /** The scheduler's own word, for logs (TIMEOUT, NODE_FAIL, exit code 137, ...). */
  detail?: string;
}

export interface ExecutionProvider {
  readonly type: string;
  /** Submits one block; resolves with the scheduler's job id once it is queued. */
  submit(block: BlockRequest): Promise<string>;
  /** Current states of these jobs; a job the scheduler no longer knows comes back as completed. */
  status(jobIds: string[]): Promise<Map<string, BlockStatus>>;
  /** Asks the scheduler to end the job (a job already ended is fine). */
  cancel(jobId: string): Promise<void>;
  /** Ends whatever the provider still owns on its own (local process groups); batch jobs are cancelled by the agent. */
  close(): Promise<void>;
}

/** A scheduler command failed: the message names the command and its stderr. */
export class ProviderCommandFailed extends Error {
  readonly code = 'ProviderCommandFailed';
  constructor(message: string, readonly command: string, readonly exitCode: number | null, readonly stderr: string) {
    super(message);
  }
}
