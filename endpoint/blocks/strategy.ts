/**
 * The block strategy loop: every strategy_period it polls the scheduler for
 * the blocks' states (ended ones are forgotten with their managers), then
 * applies the rules of strategyRules.ts: ends blocks whose manager never
 * connected, loses silent managers, submits and ends blocks. A tick that
 * fails is logged and the next one runs on time.
 */
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { TERMINAL_STATES, type ExecutionProvider } from '../providers/types.js';
import type { BlockSettings } from '../providers/settings.js';
import { busySlots, connectedSlots } from './model.js';
import type { BlockPool } from './blockPool.js';
import type { Dispatcher } from './dispatcher.js';
import { blocksStartOverdue, decideScaling, silentManagers } from './strategyRules.js';

export interface BlockStrategyOptions {
  provider: ExecutionProvider;
  settings: BlockSettings;
  pool: BlockPool;
  dispatcher: Dispatcher;
  logger: Logger;
  /** The port managers dial (for the never-connected warning). */
  listenPort: () => number;
  stopping: AbortSignal;
}

export class BlockStrategy {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: BlockStrategyOptions) {}

  private get slotsPerBlock(): number {
    return this.options.settings.nodesPerBlock * this.options.settings.maxWorkersPerNode;
  }

  /** Ticks every strategy_period until stopped. */
  start(): void {
    if (this.options.stopping.aborted) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error) => this.options.logger.error({ err: asError(error) }, 'block strategy failed'))
        .finally(() => this.start());
    }, this.options.settings.strategyPeriodMs);
  }

  /** No tick after this; waits for one under way. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.ticking;
  }

  private async tick(): Promise<void> {
    if (!(await this.pollStates())) return;
    this.endBlocksNeverConnected();
    const now = Date.now();
    this.loseSilentManagers(now);
    this.scale(now);
  }

  /** 1. Blocks the scheduler says ended are forgotten; the others take its state. False once stopping. */
  private async pollStates(): Promise<boolean> {
    const { provider, pool, logger, stopping } = this.options;
    const watched = [...pool.all()].filter((b) => b.jobId);
    if (watched.length === 0) return true;
    let statuses;
    try {
      statuses = await provider.status(watched.map((b) => b.jobId!));
    } catch (error) {
      logger.warn({ err: asError(error).message }, 'could not poll block states; trying again next period');
    }
    if (stopping.aborted) return false;
    for (const block of watched) {
      const status = statuses?.get(block.jobId!);
      if (!status) continue;
      if (TERMINAL_STATES.has(status.state)) pool.endedInScheduler(block, status.state, status.detail);
      else if (block.managers.size === 0) {
        block.state = status.state;
        block.detail = status.detail;
        if (status.state === 'running') block.startedAtMs ??= Date.now();
      } else block.detail = status.detail;
    }
    return true;
  }

  private endBlocksNeverConnected(): void {
    const { pool, settings, logger } = this.options;
    for (const block of blocksStartOverdue(pool.all(), Date.now(), settings.managerStartTimeoutMs)) {
      logger.warn({ blockId: block.id, jobId: block.jobId, connect: `${settings.connectAddress}:${this.options.listenPort()}` }, 'block runs but its manager never connected; see the block\'s output file');
      void pool.end(block, `no manager connected within manager_start_timeout (${Math.round(settings.managerStartTimeoutMs / 1000)}s)`);
    }
  }

  /** 2. Managers that went silent. */
  private loseSilentManagers(now: number): void {
    const { pool, settings } = this.options;
    for (const block of [...pool.all()]) {
      for (const manager of silentManagers([...block.managers], now, settings.managerTimeoutMs)) {
        pool.managerLost(manager, `manager ${manager.id} sent nothing for ${Math.round((now - manager.lastHeardMs) / 1000)}s`);
      }
    }
  }

  /** 3. Scale. */
  private scale(now: number): void {
    const { pool, dispatcher, settings } = this.options;
    const live = pool.live();
    const decision = decideScaling({
      nowMs: now,
      waitingTasks: dispatcher.waitingCount,
      waitingNodeNeeds: dispatcher.waitingNodeNeeds(),
      live: live.map((b) => ({
        blockId: b.id,
        phase: b.managers.size > 0 ? 'connected' : 'pending',
        busy: busySlots(b),
        slots: connectedSlots(b),
        idleSinceMs: b.idleSinceMs,
        freeNodes: settings.nodesPerBlock - b.nodesInUse,
      })),
      slotsPerBlock: this.slotsPerBlock,
      nodesPerBlock: settings.nodesPerBlock,
      minBlocks: settings.minBlocks,
      maxBlocks: settings.maxBlocks,
      maxIdleMs: settings.maxIdleMs,
      submitPausedUntilMs: pool.pausedUntilMs,
    });
    for (let i = 0; i < decision.submit; i++) pool.submit(`${dispatcher.waitingCount} task(s) waiting for a worker`);
    for (const blockId of decision.end) {
      const block = pool.get(blockId);
      if (block) void pool.end(block, `idle for max_idletime (${Math.round(settings.maxIdleMs / 1000)}s)`);
    }
  }
}
