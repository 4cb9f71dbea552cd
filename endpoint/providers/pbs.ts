/**
 * The PBS Pro / OpenPBS provider: a block is one batch job (qsub), watched
 * with `qstat -f -F json -x` and ended with qdel, all through the CLI on the
 * login node. Written against PBS Pro's documented commands and JSON output;
 * NOT run against a live PBS here (its job script and the parsing of qstat's
 * documented JSON are tested; see docs/providers.md).
 *
 * Multi-node blocks start a manager per node with `pbsdsh -u` (launcher
 * pbsdsh), or one manager (launcher none: MPI endpoints, whose tasks reach
 * the other nodes through $PBS_NODEFILE). Jobs get the agent's environment
 * minus funcX secrets (`-V`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workerEnv } from '../workers/workerEnv.js';
import { runSchedulerCommand } from './schedulerCommand.js';
import { jobScript } from './jobScript.js';
import type { BlockSettings } from './settings.js';
import { ProviderCommandFailed, type BlockRequest, type BlockState, type BlockStatus, type ExecutionProvider } from './types.js';

export interface PbsSettings {
  queue: string | null;
  account: string | null;
  walltimeMs: number;
  /** Added to each chunk of `-l select=N:...` (e.g. "ncpus=64:mem=200gb"). */
  selectOptions: string | null;
  /** Extra `#PBS ...` lines, written as they are. */
  schedulerOptions: string[];
  launcher: 'pbsdsh' | 'none';
}

/** qstat's job_state letters (PBS Pro reference guide, "Job States"). F (finished) is decided by Exit_status. */
const STATES: Record<string, BlockState> = {
  Q: 'pending', // queued
  H: 'pending', // held
  W: 'pending', // waiting for its start time
  T: 'pending', // being moved
  S: 'pending', // suspended
  U: 'pending', // suspended: the workstation is busy
  M: 'pending', // moved to another server
  R: 'running',
  B: 'running', // an array job: begun
  E: 'running', // exiting: its final state follows
  X: 'completed', // a subjob: finished
};

/** Exit_status values PBS sets itself (negative: the job did not run to its own end). */
const KILLED_BY_QDEL = 271; // 256 + SIGTERM(15)
const WALLTIME_EXCEEDED = -29; // JOB_EXEC_KILL_WALLTIME

export class PbsProvider implements ExecutionProvider {
  readonly type = 'pbs';

  constructor(
    private readonly pbs: PbsSettings,
    private readonly blocks: Pick<BlockSettings, 'nodesPerBlock'>,
    private readonly jobNamePrefix: string,
  ) {}

  /** The job script of a block (written to scriptDir by submit; exposed for tests and docs). */
  script(block: BlockRequest): string {
    const chunk = this.pbs.selectOptions ? `${this.blocks.nodesPerBlock}:${this.pbs.selectOptions}` : String(this.blocks.nodesPerBlock);
    const directives = [
      `#PBS -N ${this.jobNamePrefix}-${block.blockId}`,
      `#PBS -l select=${chunk}`,
      // One chunk per node: a block's nodes are its own, as Slurm's --nodes gives them.
      '#PBS -l place=scatter:excl',
      `#PBS -l walltime=${pbsTime(this.pbs.walltimeMs)}`,
      `#PBS -o ${path.join(block.scriptDir, `${block.blockId}.out`)}`,
      '#PBS -j oe',
      '#PBS -V',
      ...(this.pbs.queue ? [`#PBS -q ${this.pbs.queue}`] : []),
      ...(this.pbs.account ? [`#PBS -A ${this.pbs.account}`] : []),
      ...this.pbs.schedulerOptions,
    ];
    const launch = this.blocks.nodesPerBlock > 1 && this.pbs.launcher === 'pbsdsh' ? ['pbsdsh', '-u', '--'] : [];
    return jobScript({ directives, workerInit: block.workerInit, launch, command: block.command });
  }

  async submit(block: BlockRequest): Promise<string> {
    mkdirSync(block.scriptDir, { recursive: true, mode: 0o700 });
    const file = path.join(block.scriptDir, `${block.blockId}.pbs`);
    writeFileSync(file, this.script(block), { mode: 0o700 });
    // qsub prints the job id: "1234.server".
    const jobId = (await runSchedulerCommand('qsub', [file], { env: workerEnv() })).trim().split('\n').pop()!.trim();
    if (!/^\d+(\[\])?\.\S+$|^\d+$/.test(jobId)) throw new Error(`qsub printed no job id: ${JSON.stringify(jobId)}`);
    return jobId;
  }

  async status(jobIds: string[]): Promise<Map<string, BlockStatus>> {
    if (jobIds.length === 0) return new Map();
    let out: string;
    try {
      // -x: finished jobs too (kept for the server's job_history_duration), with their Exit_status.
      out = await runSchedulerCommand('qstat', ['-f', '-F', 'json', '-x', ...jobIds], { env: workerEnv() });
    } catch (error) {
      // One id the server no longer knows fails the whole call: ask one by one, unknown ones ended.
      if (!(error instanceof ProviderCommandFailed) || !/Unknown Job Id/i.test(error.stderr)) throw error;
      if (jobIds.length === 1) return new Map([[jobIds[0], { state: 'completed', detail: 'no longer known to qstat' }]]);
      const each = await Promise.all(jobIds.map((id) => this.status([id])));
      return new Map(each.flatMap((statuses) => [...statuses]));
    }
    const known = parseQstatJson(out);
    return new Map(jobIds.map((id) => [id, known.get(id) ?? { state: 'completed', detail: 'no longer listed by qstat' }]));
  }

  async cancel(jobId: string): Promise<void> {
    await runSchedulerCommand('qdel', [jobId], { env: workerEnv() });
  }

  async close(): Promise<void> {
    // Jobs are cancelled one by one by the block executor; nothing held here.
  }
}

/** PBS's walltime is HH:MM:SS with hours unbounded. */
export function pbsTime(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

/**
 * `qstat -f -F json` output: {"Jobs": {"ID": {"job_state": "R", "Exit_status": 0, "comment": ...}}}.
 * A finished job (F) is completed with exit 0, cancelled when qdel killed it, timeout past its
 * walltime, and failed otherwise.
 */
export function parseQstatJson(text: string): Map<string, BlockStatus> {
  const doc = JSON.parse(text) as { Jobs?: Record<string, { job_state?: string; Exit_status?: number; comment?: string }> };
  const statuses = new Map<string, BlockStatus>();
  for (const [id, job] of Object.entries(doc.Jobs ?? {})) {
    const letter = job.job_state ?? '?';
    const comment = job.comment ? ` (${job.comment})` : '';
    if (letter !== 'F') {
      statuses.set(id, { state: STATES[letter] ?? 'unknown', detail: `${letter}${comment}` });
      continue;
    }
    const exit = job.Exit_status;
    const state: BlockState = exit === 0 ? 'completed' : exit === KILLED_BY_QDEL ? 'cancelled' : exit === WALLTIME_EXCEEDED ? 'timeout' : 'failed';
    statuses.set(id, { state, detail: `F (Exit_status ${exit ?? 'unknown'})${comment}` });
  }
  return statuses;
}
