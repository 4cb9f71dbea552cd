/**
 * The Grid Engine provider (Son of Grid Engine, Univa/Altair GE, Debian's
 * gridengine): a block is one batch job (qsub), watched with `qstat -xml`
 * and ended with qdel, all through the CLI on the submit host. A block is
 * one worker manager; a block of several nodes needs a parallel environment
 * (`-pe`), whose hosts MPI tasks reach through $PE_HOSTFILE. Jobs get the
 * agent's environment minus funcX secrets (`-V`: Grid Engine does not pass
 * it on by default), SGE_ROOT and SGE_CELL included.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workerEnv } from '../workers/workerEnv.js';
import { runSchedulerCommand } from './schedulerCommand.js';
import { jobScript } from './jobScript.js';
import { pbsTime } from './pbs.js';
import type { BlockSettings } from './settings.js';
import type { BlockRequest, BlockState, BlockStatus, ExecutionProvider } from './types.js';

export interface GridEngineSettings {
  queue: string | null;
  /** `-pe NAME SLOTS`: SLOTS is nodes_per_block × max_workers_per_node. */
  parallelEnvironment: string | null;
  project: string | null;
  account: string | null;
  walltimeMs: number;
  /** Extra `#$ ...` lines, written as they are. */
  schedulerOptions: string[];
}

export class GridEngineProvider implements ExecutionProvider {
  readonly type = 'gridengine';

  constructor(
    private readonly ge: GridEngineSettings,
    private readonly blocks: Pick<BlockSettings, 'nodesPerBlock' | 'maxWorkersPerNode'>,
    private readonly jobNamePrefix: string,
  ) {}

  /** The job script of a block (written to scriptDir by submit; exposed for tests and docs). */
  script(block: BlockRequest): string {
    const slots = this.blocks.nodesPerBlock * this.blocks.maxWorkersPerNode;
    const directives = [
      `#$ -N ${this.jobNamePrefix}-${block.blockId}`,
      '#$ -S /bin/sh',
      `#$ -o ${path.join(block.scriptDir, `${block.blockId}.out`)}`,
      '#$ -j y',
      '#$ -V',
      `#$ -l h_rt=${pbsTime(this.ge.walltimeMs)}`,
      ...(this.ge.queue ? [`#$ -q ${this.ge.queue}`] : []),
      ...(this.ge.parallelEnvironment ? [`#$ -pe ${this.ge.parallelEnvironment} ${slots}`] : []),
      ...(this.ge.project ? [`#$ -P ${this.ge.project}`] : []),
      ...(this.ge.account ? [`#$ -A ${this.ge.account}`] : []),
      ...this.ge.schedulerOptions,
    ];
    return jobScript({ directives, workerInit: block.workerInit, launch: [], command: block.command });
  }

  async submit(block: BlockRequest): Promise<string> {
    mkdirSync(block.scriptDir, { recursive: true, mode: 0o700 });
    const file = path.join(block.scriptDir, `${block.blockId}.qsub`);
    writeFileSync(file, this.script(block), { mode: 0o700 });
    // -terse: only the job id.
    const jobId = (await runSchedulerCommand('qsub', ['-terse', file], { env: workerEnv() })).trim().split('\n').pop()!.trim();
    if (!/^\d+$/.test(jobId)) throw new Error(`qsub printed no job id: ${JSON.stringify(jobId)}`);
    return jobId;
  }

  async status(jobIds: string[]): Promise<Map<string, BlockStatus>> {
    if (jobIds.length === 0) return new Map();
    // A finished job leaves qstat at once (its exit is in qacct, if accounting is on): absent is ended.
    const out = await runSchedulerCommand('qstat', ['-xml', '-u', os.userInfo().username], { env: workerEnv() });
    const known = parseQstatXml(out);
    return new Map(jobIds.map((id) => [id, known.get(id) ?? { state: 'completed', detail: 'no longer listed by qstat' }]));
  }

  async cancel(jobId: string): Promise<void> {
    await runSchedulerCommand('qdel', [jobId], { env: workerEnv() });
  }

  async close(): Promise<void> {
    // Jobs are cancelled one by one by the block executor; nothing held here.
  }
}

/**
 * `qstat -xml`: <job_list state="running"><JB_job_number>12</JB_job_number>...<state>r</state></job_list>.
 * State letters: E (error) failed; d (being deleted) and r, t, R running; qw, h, w, s, S, T pending.
 */
export function parseQstatXml(xml: string): Map<string, BlockStatus> {
  const statuses = new Map<string, BlockStatus>();
  for (const match of xml.matchAll(/<job_list\b[^>]*>([\s\S]*?)<\/job_list>/g)) {
    const id = /<JB_job_number>(\d+)<\/JB_job_number>/.exec(match[1])?.[1];
    const letters = /<state>([^<]*)<\/state>/.exec(match[1])?.[1] ?? '';
    if (!id) continue;
    let state: BlockState;
    if (letters.includes('E')) state = 'failed';
    else if (/[drtR]/.test(letters)) state = 'running';
    else if (/[qwhsST]/.test(letters)) state = 'pending';
    else state = 'unknown';
    statuses.set(id, { state, detail: letters });
  }
  return statuses;
}
