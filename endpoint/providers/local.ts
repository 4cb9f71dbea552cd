/**
 * The local provider: a block is a process group on this machine, running the
 * block's job script under /bin/sh. Useful on a workstation that wants the
 * same scaling as a cluster, and as the provider the block machinery is tested
 * with when there is no scheduler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killGroup } from '../workers/processGroup.js';
import { workerEnv } from '../workers/workerEnv.js';
import { jobScript } from './jobScript.js';
import type { BlockRequest, BlockStatus, ExecutionProvider } from './types.js';

interface LocalJob {
  child: ChildProcess;
  status: BlockStatus;
  cancelled: boolean;
  exited: Promise<void>;
}

/** After SIGTERM, the group gets this long before SIGKILL. */
const CANCEL_GRACE_MS = 5_000;

export class LocalProvider implements ExecutionProvider {
  readonly type = 'local';
  private readonly jobs = new Map<string, LocalJob>();

  async submit(block: BlockRequest): Promise<string> {
    mkdirSync(block.scriptDir, { recursive: true, mode: 0o700 });
    const script = path.join(block.scriptDir, `${block.blockId}.sh`);
    writeFileSync(script, jobScript({ directives: [], workerInit: block.workerInit, launch: [], command: block.command }), { mode: 0o700 });
    const output = openSync(path.join(block.scriptDir, `${block.blockId}.out`), 'a', 0o600);
    let child: ChildProcess;
    try {
      // detached: the block leads its own process group, so cancel ends everything it started.
      child = spawn('/bin/sh', [script], { detached: true, stdio: ['ignore', output, output], env: workerEnv() });
    } finally {
      closeSync(output);
    }
    const jobId = `local-${child.pid ?? block.blockId}`;
    const job: LocalJob = {
      child,
      status: { state: 'running' },
      cancelled: false,
      exited: new Promise((resolve) => {
        child.once('error', (error) => {
          job.status = { state: 'failed', detail: error.message };
          resolve();
        });
        child.once('exit', (code, signal) => {
          if (job.cancelled) job.status = { state: 'cancelled', detail: signal ? `signal ${signal}` : `code ${code}` };
          else if (code === 0) job.status = { state: 'completed', detail: 'code 0' };
          else job.status = { state: 'failed', detail: signal ? `signal ${signal}` : `code ${code}` };
          resolve();
        });
      }),
    };
    this.jobs.set(jobId, job);
    return jobId;
  }

  async status(jobIds: string[]): Promise<Map<string, BlockStatus>> {
    return new Map(jobIds.map((id) => [id, this.jobs.get(id)?.status ?? { state: 'completed', detail: 'unknown to this provider' }]));
  }

  async cancel(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job || job.child.exitCode !== null || job.child.signalCode !== null) return;
    job.cancelled = true;
    // The block's SIGKILL is called off once it has exited (unlike a task's: its group ended with it).
    const callOffKill = killGroup(job.child.pid, { graceMs: CANCEL_GRACE_MS });
    await job.exited;
    callOffKill();
  }

  /** Every process group still running is killed; resolves when all have exited. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.jobs.values()].map(async (job) => {
        if (job.child.exitCode === null && job.child.signalCode === null) {
          job.cancelled = true;
          killGroup(job.child.pid);
        }
        await job.exited;
      }),
    );
  }

  /** Pids of the block process groups still running (tests check none outlive close()). */
  pids(): number[] {
    return [...this.jobs.values()].filter((j) => j.child.exitCode === null && j.child.signalCode === null).map((j) => j.child.pid!);
  }
}
