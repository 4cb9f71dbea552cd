/**
 * The executor of an endpoint with blocks: it listens for worker managers,
 * asks its provider for blocks as tasks wait (and ends them when idle), and
 * hands each task to a manager with a free slot. This file is the face the
 * agent sees (the Executor interface); the work is done by:
 *
 * - managerListener.ts: the TCP listener and the managers' handshake;
 * - dispatcher.ts: the tasks waiting for a slot, and handing them out;
 * - blockPool.ts: the blocks' lives, and managers joining and being lost;
 * - strategy.ts (rules in strategyRules.ts): the periodic tick that polls
 *   the scheduler and scales.
 *
 * Capacity offered to the agent = slots of connected managers + slots of
 * blocks on their way (pending in the scheduler, or started but not yet
 * connected) + one more block's worth while below max_blocks, so that waiting
 * work becomes visible and makes the next block be submitted.
 *
 * Faults: a manager whose connection closes, who stays silent past
 * manager_timeout, or whose block the scheduler reports ended (walltime,
 * scancel, node failure) is lost; its tasks end as WorkerLost with retry, so
 * the ledger runs them again under its retry limit.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from '../logger.js';
import { failed } from '../workers/errors.js';
import type { ExecutionProvider } from '../providers/types.js';
import type { BlockSettings } from '../providers/settings.js';
import type { BlockDetails, Executor, ExecutorDetails, TaskOutcome, TaskToRun } from '../execution.js';
import { taskNeeds } from '../mpi/resources.js';
import type { MpiSettings } from '../mpi/launcher.js';
import { detectRuntimes, type RuntimeVersion } from '../workers/versions.js';
import { connectedSlots } from './model.js';
import { ManagerListener } from './managerListener.js';
import { Dispatcher } from './dispatcher.js';
import { BlockPool, type BlockWorkerSettings } from './blockPool.js';
import { BlockStrategy } from './strategy.js';

export interface BlockExecutorOptions {
  provider: ExecutionProvider;
  blocks: BlockSettings;
  secret: string;
  secretFile: string;
  /** Job scripts, block configs and block output go here (the endpoint folder's blocks/). */
  blocksDir: string;
  worker: BlockWorkerSettings;
  /** MPI tasks get whole nodes of one block (one manager per block then runs them all). */
  mpi?: MpiSettings | null;
  logger: Logger;
}

export class BlockExecutor implements Executor {
  private readonly log: Logger;
  private readonly capacityListeners: (() => void)[] = [];
  private readonly waitingListeners: (() => void)[] = [];
  private readonly stopping = new AbortController();
  private readonly listener: ManagerListener;
  private readonly dispatcher: Dispatcher;
  private readonly pool: BlockPool;
  private readonly strategy: BlockStrategy;
  private versions: Promise<RuntimeVersion[]> | undefined;

  constructor(private readonly options: BlockExecutorOptions) {
    this.log = options.logger.child({ component: 'blocks', provider: options.provider.type });
    setMaxListeners(0, this.stopping.signal);
    const { blocks } = options;
    this.pool = new BlockPool({
      provider: options.provider,
      blocks,
      secretFile: options.secretFile,
      blocksDir: options.blocksDir,
      worker: options.worker,
      mpi: options.mpi ?? null,
      logger: this.log,
      listenPort: () => this.listenPort,
      stopping: () => this.stopping.signal.aborted,
      capacityChanged: () => this.capacityChanged(),
      managersChanged: () => {
        this.dispatcher.dispatch();
        this.capacityChanged();
      },
    });
    this.dispatcher = new Dispatcher({
      nodesPerBlock: blocks.nodesPerBlock,
      blocks: () => this.pool.all(),
      block: (blockId) => this.pool.get(blockId),
      waitingChanged: () => this.waitingChanged(),
      capacityChanged: () => this.capacityChanged(),
    });
    this.listener = new ManagerListener(
      { listenAddress: blocks.listenAddress, listenPort: blocks.listenPort, secret: options.secret, heartbeatMs: blocks.managerHeartbeatMs, timeoutMs: blocks.managerTimeoutMs, logger: this.log },
      {
        refuseBlock: (blockId) => this.pool.refuseManagerOf(blockId),
        connected: (manager) => this.pool.join(manager),
        result: (manager, message) => this.dispatcher.result(manager, message),
        lost: (manager, why) => this.pool.managerLost(manager, why),
      },
    );
    this.strategy = new BlockStrategy({
      provider: options.provider,
      settings: blocks,
      pool: this.pool,
      dispatcher: this.dispatcher,
      logger: this.log,
      listenPort: () => this.listenPort,
      stopping: this.stopping.signal,
    });
  }

  private get slotsPerBlock(): number {
    return this.options.blocks.nodesPerBlock * this.options.blocks.maxWorkersPerNode;
  }

  /** The port managers connect to (after start). */
  get listenPort(): number {
    return this.listener.port;
  }

  async start(): Promise<void> {
    const { blocks } = this.options;
    const port = await this.listener.listen();
    this.log.info({ listen: `${blocks.listenAddress}:${port}`, connect: `${blocks.connectAddress}:${port}` }, 'listening for worker managers');
    const initial = Math.max(blocks.initBlocks, blocks.minBlocks);
    for (let i = 0; i < initial; i++) this.pool.submit('init_blocks');
    this.strategy.start();
  }

  run(task: TaskToRun, signal: AbortSignal): Promise<TaskOutcome> {
    if (this.stopping.signal.aborted) return Promise.resolve(failed('ExecutorStopped', 'the executor is stopped', true));
    const { nodesPerBlock } = this.options.blocks;
    // A task needing more nodes than any block has fails now, rather than wait forever.
    const needs = taskNeeds(task, this.options.mpi ?? null, nodesPerBlock, `blocks of ${nodesPerBlock} node${nodesPerBlock === 1 ? '' : 's'} (nodes_per_block)`);
    if ('refused' in needs) return Promise.resolve(needs.refused);
    return this.dispatcher.enqueue(task, signal, needs.resources?.numNodes ?? 0);
  }

  capacity(): number {
    let slots = 0;
    const live = this.pool.live();
    for (const block of live) slots += block.managers.size > 0 ? connectedSlots(block) : this.slotsPerBlock;
    if (live.length < this.options.blocks.maxBlocks) slots += this.slotsPerBlock;
    return slots;
  }

  onCapacityChange(listener: () => void): void {
    this.capacityListeners.push(listener);
  }

  private capacityChanged(): void {
    for (const listener of this.capacityListeners) listener();
  }

  waitingForNodes(): string[] {
    return this.dispatcher.waitingIds();
  }

  onWaitingChange(listener: () => void): void {
    this.waitingListeners.push(listener);
  }

  private waitingChanged(): void {
    for (const listener of this.waitingListeners) listener();
  }

  stats() {
    let total = 0;
    let busy = 0;
    for (const block of this.pool.all()) {
      for (const manager of block.managers) {
        total += manager.slots;
        busy += manager.running.size;
      }
    }
    return { totalWorkers: total, idleWorkers: Math.max(0, total - busy) };
  }

  details(): ExecutorDetails {
    const blocks: BlockDetails[] = [...this.pool.all()].map((b) => ({
      block_id: b.id,
      job_id: b.jobId ?? null,
      state: b.ending ? 'ending' : b.state,
      ...(b.detail ? { scheduler_state: b.detail } : {}),
      managers: [...b.managers].map((m) => ({ manager_id: m.id, hostname: m.hostname, slots: m.slots, running: m.running.size })),
    }));
    return { blocks, ended_blocks: this.pool.ended(), waiting_for_nodes: this.dispatcher.waitingCount, listen_port: this.listenPort };
  }

  withdrawWaiting(): string[] {
    const withdrawn = this.dispatcher.withdrawAll(failed('ExecutorStopped', 'the endpoint is stopping; the task had not started', true));
    if (withdrawn.length > 0) this.log.info({ tasks: withdrawn.length }, 'stopping: tasks still waiting for a worker are handed back');
    return withdrawn.map((task) => task.taskId);
  }

  runtimes(): Promise<RuntimeVersion[]> {
    // Managers run the same interpreters as the login node in the usual shared-software setup; what the login node has is reported.
    this.versions ??= detectRuntimes(this.options.worker.python, this.log);
    return this.versions;
  }

  /** Ends every block (scancel), settles every task, closes the listener. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.strategy.stop();
    this.dispatcher.withdrawAll(failed('ExecutorStopped', 'the executor stopped before the task ran', true));
    // Blocks still being submitted are cancelled as soon as they have a job id.
    await this.pool.submissionsSettled();
    const blocks = [...this.pool.all()];
    const cancelled = blocks.map((block) => this.pool.end(block, 'the endpoint is stopping'));
    for (const block of blocks) {
      for (const manager of [...block.managers]) this.pool.managerLost(manager, 'the endpoint is stopping');
    }
    await Promise.allSettled(cancelled);
    await this.options.provider.close();
    await this.listener.close();
    this.log.info({ blocks: blocks.length }, 'blocks ended; executor stopped');
  }
}
