/**
 * The blocks' lives: submitted (with a manager config written for each), pending in
 * the scheduler, running once a manager connects, then ended, by us (scale in, stop:
 * the managers are told to shut down and the job is cancelled) or by the scheduler
 * (walltime, scancel, node failure: its managers are lost). A manager lost for any
 * reason settles its tasks as WorkerLost with retry, so the ledger runs them again
 * under its retry limit; a block whose managers all left is ended.
 *
 * Block ids carry a per-run id (b1-3f9a2c): a job left queued by an agent that was
 * killed (so never cancelled) dials in later with its old id and is refused, instead
 * of being taken for this run's b1 and reading this run's b1 config.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { selfCommandLine } from '../selfCommand.js';
import { failed } from '../workers/errors.js';
import { TERMINAL_STATES, type BlockState, type ExecutionProvider } from '../providers/types.js';
import type { BlockSettings } from '../providers/settings.js';
import type { BlockDetails } from '../execution.js';
import type { MpiSettings } from '../mpi/launcher.js';
import type { ContainerSettings } from '../containers/settings.js';
import type { ManagerConfig } from './protocol.js';
import type { Block, WorkerManager } from './model.js';

const SUBMIT_PAUSE_MAX_MS = 5 * 60_000;
/** How many ended (or refused) blocks the heartbeat keeps describing, newest first. */
const RECENTLY_ENDED_SHOWN = 5;

/** What each block's workers are told (the manager config's worker part). */
export interface BlockWorkerSettings {
  python: string;
  serializers: string[];
  shellOutputCap: number;
  keepShellSandboxes?: boolean;
  workDir: string;
  logLevel: string;
  workerIdleMs?: number;
  container?: ContainerSettings | null;
}

export interface BlockPoolOptions {
  provider: ExecutionProvider;
  blocks: BlockSettings;
  secretFile: string;
  /** Job scripts, block configs and block output go here. */
  blocksDir: string;
  worker: BlockWorkerSettings;
  mpi: MpiSettings | null;
  logger: Logger;
  /** The port managers dial (known once the listener listens). */
  listenPort: () => number;
  stopping: () => boolean;
  /** Capacity may have changed (a block added or ending). */
  capacityChanged: () => void;
  /** A manager joined or left: waiting tasks may move, capacity changed. */
  managersChanged: () => void;
}

export class BlockPool {
  private readonly blocks = new Map<string, Block>();
  private nextBlock = 1;
  private readonly runId = randomBytes(3).toString('hex');
  private readonly submissions = new Set<Promise<unknown>>();
  /** The last blocks that ended or could not be submitted, as the status shows them (why a block is gone). */
  private readonly recentlyEnded: BlockDetails[] = [];
  /** After failed submissions, none before this time (doubling, reset by a success): a refusing scheduler is not hammered. */
  private submitPausedUntilMs = 0;
  private submitFailures = 0;

  constructor(private readonly options: BlockPoolOptions) {}

  get(blockId: string): Block | undefined {
    return this.blocks.get(blockId);
  }

  all(): IterableIterator<Block> {
    return this.blocks.values();
  }

  /** Blocks not ending. */
  live(): Block[] {
    return [...this.blocks.values()].filter((b) => !b.ending);
  }

  /** Blocks that ended or were refused lately, newest first. */
  ended(): BlockDetails[] {
    return [...this.recentlyEnded];
  }

  /** No block is submitted before this time (after failed submissions). */
  get pausedUntilMs(): number {
    return this.submitPausedUntilMs;
  }

  /** Why a manager of this block is refused: a block this agent is not waiting for. */
  refuseManagerOf(blockId: string): string | undefined {
    const block = this.blocks.get(blockId);
    if (!block || block.ending || TERMINAL_STATES.has(block.state as BlockState)) return `block ${blockId} is not one this agent is waiting for`;
    return undefined;
  }

  /** A welcomed manager joins its block. */
  join(manager: WorkerManager): void {
    const block = this.blocks.get(manager.blockId)!;
    block.managers.add(manager);
    block.everConnected = true;
    if (block.state === 'pending' || block.state === 'submitting' || block.state === 'unknown') block.state = 'running';
    block.idleSinceMs = Date.now();
    this.options.logger.info({ managerId: manager.id, blockId: block.id, jobId: block.jobId, hostname: manager.hostname, slots: manager.slots }, 'worker manager connected');
    this.options.managersChanged();
  }

  /** The manager is gone: its tasks end as WorkerLost (retried by the ledger). */
  managerLost(manager: WorkerManager, why: string): void {
    if (manager.gone) return;
    manager.gone = true;
    manager.channel.socket.destroy();
    const block = this.blocks.get(manager.blockId);
    block?.managers.delete(manager);
    const tasks = [...manager.running.values()];
    manager.running.clear();
    if (block) for (const pending of tasks) block.nodesInUse -= pending.nodes;
    const expected = this.options.stopping() || (block?.ending ?? true);
    const level = tasks.length > 0 && !expected ? 'warn' : 'info';
    this.options.logger[level]({ managerId: manager.id, blockId: manager.blockId, jobId: block?.jobId, tasks: tasks.length }, `worker manager lost: ${why}`);
    for (const pending of tasks) {
      pending.resolve(failed('WorkerLost', `${why} (block ${manager.blockId}${block?.jobId ? `, job ${block.jobId}` : ''}) while the task ran`, true));
    }
    if (block && block.managers.size === 0 && block.state === 'running' && !block.ending) {
      // A block whose managers all left is of no use; end it so a fresh one can replace it.
      void this.end(block, 'its worker managers are gone');
    }
    this.options.managersChanged();
  }

  /** Writes the block's manager config and asks the provider for the job (in the background). */
  submit(why: string): void {
    const { blocks, worker, provider, blocksDir, secretFile, logger } = this.options;
    const block: Block = { id: `b${this.nextBlock++}-${this.runId}`, jobId: undefined, state: 'submitting', detail: undefined, managers: new Set(), idleSinceMs: Date.now(), ending: false, startedAtMs: undefined, everConnected: false, nodesInUse: 0 };
    this.blocks.set(block.id, block);
    const config: ManagerConfig = {
      address: blocks.connectAddress,
      port: this.options.listenPort(),
      secret_file: secretFile,
      block_id: block.id,
      slots: blocks.maxWorkersPerNode,
      python: worker.python,
      serializers: worker.serializers,
      shell_output_cap: worker.shellOutputCap,
      keep_shell_sandboxes: worker.keepShellSandboxes === true,
      ...(worker.workerIdleMs !== undefined ? { worker_idle_ms: worker.workerIdleMs } : {}),
      work_dir: worker.workDir,
      log_level: worker.logLevel,
      mpi: this.options.mpi,
      nodes_per_block: blocks.nodesPerBlock,
      ...(worker.container ? { container: worker.container } : {}),
    };
    const configFile = path.join(blocksDir, `${block.id}.json`);
    const submitted = (async () => {
      writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
      return provider.submit({ blockId: block.id, command: [...selfCommandLine('worker-manager'), configFile], workerInit: blocks.workerInit, scriptDir: blocksDir });
    })();
    const settled = submitted.then(
      (jobId) => {
        block.jobId = jobId;
        this.submitFailures = 0;
        if (block.state === 'submitting') block.state = 'pending';
        logger.info({ blockId: block.id, jobId, why }, 'block submitted');
        // Ended while sbatch ran (stop): end the job now that it has an id.
        if (block.ending) void this.cancelJob(block);
      },
      (error) => {
        this.submitFailures += 1;
        const pauseMs = Math.min(SUBMIT_PAUSE_MAX_MS, blocks.strategyPeriodMs * 2 ** this.submitFailures);
        this.submitPausedUntilMs = Date.now() + pauseMs;
        logger.error({ blockId: block.id, err: asError(error), retryInMs: pauseMs }, 'block submission failed');
        this.rememberEnded(block, 'failed', `SUBMIT FAILED: ${asError(error).message}`);
        this.blocks.delete(block.id);
        this.options.capacityChanged();
      },
    );
    this.submissions.add(settled);
    void settled.finally(() => this.submissions.delete(settled));
    this.options.capacityChanged();
  }

  /** Settles once every submission under way has (stop waits for their job ids). */
  async submissionsSettled(): Promise<void> {
    await Promise.allSettled([...this.submissions]);
  }

  /** Asks the managers to stop and the scheduler to end the job (once the job has an id). */
  end(block: Block, why: string): Promise<void> {
    if (block.ending) return Promise.resolve();
    block.ending = true;
    this.options.logger.info({ blockId: block.id, jobId: block.jobId, why }, 'ending block');
    for (const manager of block.managers) manager.channel.send({ type: 'shutdown', reason: why });
    this.options.capacityChanged();
    return block.jobId ? this.cancelJob(block) : Promise.resolve();
  }

  /** The scheduler says the block ended: forget it, and its managers with it. */
  endedInScheduler(block: Block, state: BlockState, detail: string | undefined): void {
    block.state = state;
    block.detail = detail;
    this.blocks.delete(block.id);
    const word = state.toUpperCase();
    this.rememberEnded(block, state, !detail ? word : detail.toUpperCase().startsWith(word) ? detail : `${word}: ${detail}`);
    const busy = [...block.managers].reduce((n, m) => n + m.running.size, 0);
    const level = block.ending && busy === 0 ? 'info' : 'warn';
    this.options.logger[level]({ blockId: block.id, jobId: block.jobId, state, detail, busyTasks: busy }, 'block ended');
    for (const manager of [...block.managers]) this.managerLost(manager, `block ${block.id} ended (${detail ?? state})`);
    this.options.capacityChanged();
  }

  private async cancelJob(block: Block): Promise<void> {
    try {
      await this.options.provider.cancel(block.jobId!);
    } catch (error) {
      this.options.logger.warn({ blockId: block.id, jobId: block.jobId, err: asError(error).message }, 'could not cancel the block\'s job');
    }
  }

  private rememberEnded(block: Block, state: string, schedulerState: string): void {
    this.recentlyEnded.unshift({ block_id: block.id, job_id: block.jobId ?? null, state, scheduler_state: schedulerState.slice(0, 1000), managers: [] });
    this.recentlyEnded.splice(RECENTLY_ENDED_SHOWN);
  }
}
