/**
 * The Slurm provider: a block is one batch job (sbatch), watched with squeue
 * and ended with scancel, all through the CLI on the login node. The job
 * script starts the worker manager directly on a one-node block, or one per
 * node through srun. Jobs get the agent's environment minus funcX secrets
 * (sbatch exports the submitting environment by default).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workerEnv } from '../workers/workerEnv.js';
import { runSchedulerCommand } from './schedulerCommand.js';
import { jobScript } from './jobScript.js';
import type { BlockSettings, SlurmSettings } from './settings.js';
import type { BlockRequest, BlockState, BlockStatus, ExecutionProvider } from './types.js';

const STATES: Record<string, BlockState> = {
  PENDING: 'pending',
  CONFIGURING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  SUSPENDED: 'pending',
  RUNNING: 'running',
  RESIZING: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  // Its processes are being ended; the final state (TIMEOUT, CANCELLED, ...) follows.
  COMPLETING: 'running',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  TIMEOUT: 'timeout',
  DEADLINE: 'timeout',
  FAILED: 'failed',
  NODE_FAIL: 'failed',
  BOOT_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  PREEMPTED: 'failed',
  SPECIAL_EXIT: 'failed',
  REVOKED: 'failed',
  STOPPED: 'pending',
};

export class SlurmProvider implements ExecutionProvider {
  readonly type = 'slurm';

  constructor(
    private readonly slurm: SlurmSettings,
    private readonly blocks: Pick<BlockSettings, 'nodesPerBlock'>,
    private readonly jobNamePrefix: string,
  ) {}

  /** The job script of a block (written to scriptDir by submit; exposed for tests and docs). */
  script(block: BlockRequest): string {
    const directives = [
      `#SBATCH --job-name=${this.jobNamePrefix}-${block.blockId}`,
      `#SBATCH --nodes=${this.blocks.nodesPerBlock}`,
      '#SBATCH --ntasks-per-node=1',
      `#SBATCH --time=${slurmTime(this.slurm.walltimeMs)}`,
      `#SBATCH --output=${sbatchQuote(path.join(block.scriptDir, `${block.blockId}-%j.out`))}`,
      ...(this.slurm.partition ? [`#SBATCH --partition=${this.slurm.partition}`] : []),
      ...(this.slurm.account ? [`#SBATCH --account=${this.slurm.account}`] : []),
      ...(this.slurm.qos ? [`#SBATCH --qos=${this.slurm.qos}`] : []),
      // MPI blocks: every CPU of the nodes is the MPI tasks' to launch ranks on.
      ...(this.slurm.exclusive ? ['#SBATCH --exclusive'] : []),
      ...this.slurm.schedulerOptions,
    ];
    const launch = this.blocks.nodesPerBlock > 1 && this.slurm.launcher === 'srun'
      ? ['srun', `--nodes=${this.blocks.nodesPerBlock}`, '--ntasks-per-node=1', '--kill-on-bad-exit=0']
      : [];
    return jobScript({ directives, workerInit: block.workerInit, launch, command: block.command });
  }

  async submit(block: BlockRequest): Promise<string> {
    mkdirSync(block.scriptDir, { recursive: true, mode: 0o700 });
    const file = path.join(block.scriptDir, `${block.blockId}.sbatch`);
    writeFileSync(file, this.script(block), { mode: 0o700 });
    const out = await runSchedulerCommand('sbatch', ['--parsable', file], { env: workerEnv() });
    // --parsable prints "jobid" or "jobid;cluster".
    const jobId = out.trim().split('\n').pop()!.split(';')[0];
    if (!/^\d+$/.test(jobId)) throw new Error(`sbatch printed no job id: ${JSON.stringify(out)}`);
    return jobId;
  }

  async status(jobIds: string[]): Promise<Map<string, BlockStatus>> {
    const statuses = new Map<string, BlockStatus>();
    if (jobIds.length === 0) return statuses;
    // All of our jobs at once: `-j` fails outright when one id is no longer known.
    // --user rather than --me: the latter is missing before Slurm 20.11.
    const out = await runSchedulerCommand('squeue', [`--user=${os.userInfo().username}`, '--noheader', '--states=all', '--format=%i|%T|%r'], { env: workerEnv() });
    const known = new Map<string, BlockStatus>();
    for (const line of out.split('\n')) {
      const [id, state, reason] = line.trim().split('|');
      if (!id || !state) continue;
      known.set(id, { state: STATES[state] ?? 'unknown', detail: reason && reason !== 'None' ? `${state} (${reason})` : state });
    }
    for (const id of jobIds) statuses.set(id, known.get(id) ?? { state: 'completed', detail: 'no longer listed by squeue' });
    return statuses;
  }

  async cancel(jobId: string): Promise<void> {
    await runSchedulerCommand('scancel', [jobId], { env: workerEnv() });
  }

  async close(): Promise<void> {
    // Jobs are cancelled one by one by the block pool (blocks/blockPool.ts); nothing held here.
  }
}

/** Slurm's D-HH:MM:SS, rounded up to whole seconds (Slurm itself rounds up to minutes). */
export function slurmTime(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const days = Math.floor(total / 86_400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor((total % 86_400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}

/**
 * An #SBATCH argument that may hold spaces (a FUNCX_HOME under "My Files"): sbatch reads
 * the directive itself, not sh, and takes double quotes with backslash escapes.
 */
export function sbatchQuote(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`an #SBATCH argument cannot span lines: ${JSON.stringify(value)}`);
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
