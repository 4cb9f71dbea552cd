/**
 * The executor of an endpoint with blocks: it listens for worker managers,
 * asks its provider for blocks as tasks wait (and ends them when idle), and
 * hands each task to a manager with a free slot.
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
import { selfCommandLine } from '../selfCommand.js';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { failed } from '../workers/errors.js';
import { TERMINAL_STATES, type BlockState, type ExecutionProvider } from '../providers/types.js';
import type { BlockSettings } from '../providers/settings.js';
import type { BlockDetails, Executor, ExecutorDetails, TaskOutcome, TaskToRun } from '../execution.js';
import { LineChannel, UNAUTHENTICATED_LINE_CHARS, type AgentMessage, type ManagerMessage } from './protocol.js';
import { secretsMatch } from './secret.js';
import { planScaling } from './scaling.js';
import { blocksForNodes } from './nodeDemand.js';
import { taskNeeds } from '../mpi/resources.js';
import type { MpiSettings } from '../mpi/launcher.js';
import type { ContainerSettings } from '../containers/settings.js';
import { detectRuntimes, type RuntimeVersion } from '../workers/versions.js';

/** The worker manager program, compiled next to the agent. */
const HELLO_TIMEOUT_MS = 10_000;
/** Connections that have not said hello yet; more are refused at once (a flood cannot exhaust the agent). */
const MAX_UNAUTHENTICATED_CONNECTIONS = 16;
const SUBMIT_PAUSE_MAX_MS = 5 * 60_000;
/** How many ended (or refused) blocks the heartbeat keeps describing, newest first. */
const RECENTLY_ENDED_SHOWN = 5;

/** What a manager needs to know, written per block to a 0600 file it is given the path of. */
export interface ManagerConfig {
  address: string;
  port: number;
  secret_file: string;
  block_id: string;
  slots: number;
  python: string;
  serializers: string[];
  shell_output_cap: number;
  /** keep_shell_sandboxes (absent in configs of older agents: removed). */
  keep_shell_sandboxes?: boolean;
  /** worker_idle_timeout in ms (absent in configs of older agents: the default). */
  worker_idle_ms?: number;
  work_dir: string;
  log_level: string;
  /** MPI tasks: the launcher, and the nodes the block should have (the manager reads them from the job). */
  mpi?: MpiSettings | null;
  nodes_per_block?: number;
  /** Workers run in containers of this engine on the nodes (absent: on the host). */
  container?: ContainerSettings | null;
}

export interface BlockExecutorOptions {
  provider: ExecutionProvider;
  blocks: BlockSettings;
  secret: string;
  secretFile: string;
  /** Job scripts, block configs and block output go here (the endpoint folder's blocks/). */
  blocksDir: string;
  worker: { python: string; serializers: string[]; shellOutputCap: number; keepShellSandboxes?: boolean; workDir: string; logLevel: string; workerIdleMs?: number; container?: ContainerSettings | null };
  /** MPI tasks get whole nodes of one block (one manager per block then runs them all). */
  mpi?: MpiSettings | null;
  logger: Logger;
}

interface Pending {
  task: TaskToRun;
  signal: AbortSignal;
  resolve: (outcome: TaskOutcome) => void;
  manager?: Manager;
  onAbort: () => void;
  /** Nodes of its block the task holds while it runs (MPI tasks; 0 for others). */
  nodes: number;
}

interface Manager {
  id: string;
  blockId: string;
  hostname: string;
  slots: number;
  channel: LineChannel<ManagerMessage, AgentMessage>;
  running: Map<string, Pending>;
  lastHeardMs: number;
  gone: boolean;
}

interface Block {
  id: string;
  jobId: string | undefined;
  state: BlockState | 'submitting';
  detail: string | undefined;
  managers: Set<Manager>;
  idleSinceMs: number;
  /** We asked for it to end (scale in, stop): its loss is not a fault. */
  ending: boolean;
  /** When the scheduler first said it runs; cleared once a manager connects. */
  startedAtMs: number | undefined;
  everConnected: boolean;
  /** Nodes held by the MPI tasks running on it. */
  nodesInUse: number;
}

export class BlockExecutor implements Executor {
  private readonly log: Logger;
  private readonly blocks = new Map<string, Block>();
  private readonly waiting: Pending[] = [];
  private readonly capacityListeners: (() => void)[] = [];
  private readonly waitingListeners: (() => void)[] = [];
  private readonly stopping = new AbortController();
  private server: Server | undefined;
  private port = 0;
  private nextBlock = 1;
  /**
   * Part of every block id of this run (b1-3f9a2c): a job left queued by an agent that was
   * killed (so never cancelled) dials in later with its old id and is refused, instead of being
   * taken for this run's b1 and reading this run's b1 config.
   */
  private readonly runId = randomBytes(3).toString('hex');
  /** Connections that have not said hello yet. */
  private unauthenticated = 0;
  private tick: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly submissions = new Set<Promise<unknown>>();
  /** The last blocks that ended or could not be submitted, as the status shows them (why a block is gone). */
  private readonly recentlyEnded: BlockDetails[] = [];
  /** After failed submissions, none before this time (doubling, reset by a success): a refusing scheduler is not hammered. */
  private submitPausedUntilMs = 0;
  private submitFailures = 0;
  private versions: Promise<RuntimeVersion[]> | undefined;

  constructor(private readonly options: BlockExecutorOptions) {
    this.log = options.logger.child({ component: 'blocks', provider: options.provider.type });
    setMaxListeners(0, this.stopping.signal);
  }

  private get slotsPerBlock(): number {
    return this.options.blocks.nodesPerBlock * this.options.blocks.maxWorkersPerNode;
  }

  /** The port managers connect to (after start). */
  get listenPort(): number {
    return this.port;
  }

  async start(): Promise<void> {
    const { blocks } = this.options;
    const server = createServer((socket) => this.greet(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(blocks.listenPort, blocks.listenAddress, () => resolve());
    });
    server.on('error', (error) => this.log.error({ err: error }, 'manager listener failed'));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.log.info({ listen: `${blocks.listenAddress}:${this.port}`, connect: `${blocks.connectAddress}:${this.port}` }, 'listening for worker managers');
    const initial = Math.max(blocks.initBlocks, blocks.minBlocks);
    for (let i = 0; i < initial; i++) this.submitBlock('init_blocks');
    this.scheduleTick();
  }

  // --- tasks ---------------------------------------------------------------

  run(task: TaskToRun, signal: AbortSignal): Promise<TaskOutcome> {
    if (this.stopping.signal.aborted) return Promise.resolve(failed('ExecutorStopped', 'the executor is stopped', true));
    const { nodesPerBlock } = this.options.blocks;
    // A task needing more nodes than any block has fails now, rather than wait forever.
    const needs = taskNeeds(task, this.options.mpi ?? null, nodesPerBlock, `blocks of ${nodesPerBlock} node${nodesPerBlock === 1 ? '' : 's'} (nodes_per_block)`);
    if ('refused' in needs) return Promise.resolve(needs.refused);
    return new Promise<TaskOutcome>((resolve) => {
      const pending: Pending = {
        task,
        signal,
        nodes: needs.resources?.numNodes ?? 0,
        resolve: (outcome) => {
          signal.removeEventListener('abort', pending.onAbort);
          resolve(outcome);
        },
        onAbort: () => this.abortTask(pending),
      };
      if (signal.aborted) return pending.resolve(failed('TaskCancelled', 'the task was cancelled before it started'));
      signal.addEventListener('abort', pending.onAbort, { once: true });
      this.waiting.push(pending);
      this.dispatch();
      this.waitingChanged();
    });
  }

  private abortTask(pending: Pending): void {
    const index = this.waiting.indexOf(pending);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      pending.resolve(failed('TaskCancelled', 'the task was cancelled before it started'));
      this.waitingChanged();
      return;
    }
    // On a manager: it kills the task and answers with its outcome (or is lost, which also settles it).
    pending.manager?.channel.send({ type: 'cancel', task_id: pending.task.taskId, attempt: pending.task.attempt });
  }

  /** Hands waiting tasks to the least busy managers with a free slot. */
  private dispatch(): void {
    const waitingBefore = this.waiting.length;
    this.dispatchWaiting();
    if (this.waiting.length !== waitingBefore) this.waitingChanged();
  }

  private dispatchWaiting(): void {
    // MPI tasks keep their order among themselves (a big one is not overtaken forever by small
    // ones); ordinary tasks may pass an MPI task that waits for nodes.
    let mpiBlocked = false;
    for (let i = 0; i < this.waiting.length;) {
      const pending = this.waiting[i];
      const best = pending.nodes > 0 && mpiBlocked ? undefined : this.managerFor(pending.nodes);
      if (!best) {
        if (pending.nodes === 0) return; // no free slot anywhere: nothing behind it fits either
        mpiBlocked = true;
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      pending.manager = best;
      best.running.set(pending.task.taskId, pending);
      const block = this.blocks.get(best.blockId)!;
      block.idleSinceMs = Date.now();
      block.nodesInUse += pending.nodes;
      best.channel.send({ type: 'task', task: pending.task });
    }
  }

  /** The least busy manager with a free slot, on a block with `nodes` nodes free. */
  private managerFor(nodes: number): Manager | undefined {
    let best: Manager | undefined;
    for (const block of this.blocks.values()) {
      if (block.ending || this.options.blocks.nodesPerBlock - block.nodesInUse < nodes) continue;
      for (const manager of block.managers) {
        const free = manager.slots - manager.running.size;
        if (!manager.gone && free > 0 && (!best || free > best.slots - best.running.size)) best = manager;
      }
    }
    return best;
  }

  /** A task left its manager: its block's nodes are free again. */
  private leftManager(manager: Manager, pending: Pending): void {
    const block = this.blocks.get(manager.blockId);
    if (block) block.nodesInUse -= pending.nodes;
  }

  private onResult(manager: Manager, message: Extract<ManagerMessage, { type: 'result' }>): void {
    const pending = manager.running.get(message.task_id);
    if (!pending || pending.task.attempt !== message.attempt) return;
    manager.running.delete(message.task_id);
    this.leftManager(manager, pending);
    if (manager.running.size === 0) this.blocks.get(manager.blockId)!.idleSinceMs = Date.now();
    pending.resolve(message.outcome);
    this.dispatch();
    this.capacityChanged();
  }

  // --- managers ------------------------------------------------------------

  private greet(socket: Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.unauthenticated >= MAX_UNAUTHENTICATED_CONNECTIONS) {
      this.log.warn({ peer, limit: MAX_UNAUTHENTICATED_CONNECTIONS }, 'too many connections waiting to say hello; refused');
      socket.destroy();
      return;
    }
    this.unauthenticated++;
    let waitingForHello = true;
    const helloDone = () => {
      if (!waitingForHello) return;
      waitingForHello = false;
      this.unauthenticated--;
      clearTimeout(hello);
    };
    let manager: Manager | undefined;
    const hello = setTimeout(() => {
      this.log.warn({ peer }, 'a connection sent no hello in time; closed');
      socket.destroy();
    }, HELLO_TIMEOUT_MS);
    const channel: LineChannel<ManagerMessage, AgentMessage> = new LineChannel<ManagerMessage, AgentMessage>(
      socket,
      (message) => {
        if (!manager) {
          helloDone();
          manager = this.admit(channel, message, peer);
          if (manager) channel.allowLongLines(); // results can be large once the secret is known
          return;
        }
        manager.lastHeardMs = Date.now();
        if (message.type === 'result') this.onResult(manager, message);
        else if (message.type === 'heartbeat') channel.send({ type: 'heartbeat' });
      },
      (why) => {
        this.log.warn({ peer, managerId: manager?.id }, `manager sent ${why}; closed`);
        socket.destroy();
      },
      { maxLineChars: UNAUTHENTICATED_LINE_CHARS },
    );
    socket.on('error', (error) => this.log.debug({ peer, err: error.message }, 'manager connection error'));
    socket.on('close', () => {
      helloDone();
      if (manager) this.managerLost(manager, `the connection to manager ${manager.id} closed`);
    });
  }

  private admit(channel: LineChannel<ManagerMessage, AgentMessage>, message: ManagerMessage, peer: string): Manager | undefined {
    const refuse = (reason: string) => {
      this.log.warn({ peer, reason }, 'manager refused');
      channel.send({ type: 'refused', reason });
      channel.close();
      return undefined;
    };
    if (message.type !== 'hello') return refuse('the first message must be hello');
    if (!secretsMatch(message.secret, this.options.secret)) return refuse('wrong secret');
    const block = this.blocks.get(message.block_id);
    if (!block || block.ending || TERMINAL_STATES.has(block.state as BlockState)) return refuse(`block ${message.block_id} is not one this agent is waiting for`);
    if (!Number.isInteger(message.slots) || message.slots < 1) return refuse('slots must be a positive integer');
    const manager: Manager = {
      id: String(message.manager_id),
      blockId: block.id,
      hostname: String(message.hostname),
      slots: message.slots,
      channel,
      running: new Map(),
      lastHeardMs: Date.now(),
      gone: false,
    };
    block.managers.add(manager);
    block.everConnected = true;
    if (block.state === 'pending' || block.state === 'submitting' || block.state === 'unknown') block.state = 'running';
    block.idleSinceMs = Date.now();
    channel.send({ type: 'welcome', heartbeat_ms: this.options.blocks.managerHeartbeatMs, timeout_ms: this.options.blocks.managerTimeoutMs });
    this.log.info({ managerId: manager.id, blockId: block.id, jobId: block.jobId, hostname: manager.hostname, slots: manager.slots }, 'worker manager connected');
    this.dispatch();
    this.capacityChanged();
    return manager;
  }

  /** The manager is gone: its tasks end as WorkerLost (retried by the ledger). */
  private managerLost(manager: Manager, why: string): void {
    if (manager.gone) return;
    manager.gone = true;
    manager.channel.socket.destroy();
    const block = this.blocks.get(manager.blockId);
    block?.managers.delete(manager);
    const tasks = [...manager.running.values()];
    manager.running.clear();
    for (const pending of tasks) this.leftManager(manager, pending);
    const expected = this.stopping.signal.aborted || (block?.ending ?? true);
    const level = tasks.length > 0 && !expected ? 'warn' : 'info';
    this.log[level]({ managerId: manager.id, blockId: manager.blockId, jobId: block?.jobId, tasks: tasks.length }, `worker manager lost: ${why}`);
    for (const pending of tasks) {
      pending.resolve(failed('WorkerLost', `${why} (block ${manager.blockId}${block?.jobId ? `, job ${block.jobId}` : ''}) while the task ran`, true));
    }
    if (block && block.managers.size === 0 && block.state === 'running' && !block.ending) {
      // A block whose managers all left is of no use; end it so a fresh one can replace it.
      void this.endBlock(block, 'its worker managers are gone');
    }
    this.dispatch();
    this.capacityChanged();
  }

  // --- blocks --------------------------------------------------------------

  private submitBlock(why: string): void {
    const { blocks, worker, provider, blocksDir, secretFile } = this.options;
    const block: Block = { id: `b${this.nextBlock++}-${this.runId}`, jobId: undefined, state: 'submitting', detail: undefined, managers: new Set(), idleSinceMs: Date.now(), ending: false, startedAtMs: undefined, everConnected: false, nodesInUse: 0 };
    this.blocks.set(block.id, block);
    const config: ManagerConfig = {
      address: blocks.connectAddress,
      port: this.port,
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
      mpi: this.options.mpi ?? null,
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
        this.log.info({ blockId: block.id, jobId, why }, 'block submitted');
        // Ended while sbatch ran (stop): end the job now that it has an id.
        if (block.ending) void this.cancelJob(block);
      },
      (error) => {
        this.submitFailures += 1;
        const pauseMs = Math.min(SUBMIT_PAUSE_MAX_MS, this.options.blocks.strategyPeriodMs * 2 ** this.submitFailures);
        this.submitPausedUntilMs = Date.now() + pauseMs;
        this.log.error({ blockId: block.id, err: asError(error), retryInMs: pauseMs }, 'block submission failed');
        this.rememberEnded(block, 'failed', `SUBMIT FAILED: ${asError(error).message}`);
        this.blocks.delete(block.id);
        this.capacityChanged();
      },
    );
    this.submissions.add(settled);
    void settled.finally(() => this.submissions.delete(settled));
    this.capacityChanged();
  }

  /** Asks the managers to stop and the scheduler to end the job (once the job has an id). */
  private endBlock(block: Block, why: string): Promise<void> {
    if (block.ending) return Promise.resolve();
    block.ending = true;
    this.log.info({ blockId: block.id, jobId: block.jobId, why }, 'ending block');
    for (const manager of block.managers) manager.channel.send({ type: 'shutdown', reason: why });
    this.capacityChanged();
    return block.jobId ? this.cancelJob(block) : Promise.resolve();
  }

  private async cancelJob(block: Block): Promise<void> {
    try {
      await this.options.provider.cancel(block.jobId!);
    } catch (error) {
      this.log.warn({ blockId: block.id, jobId: block.jobId, err: asError(error).message }, 'could not cancel the block\'s job');
    }
  }

  /** The scheduler says the block ended: forget it, and its managers with it. */
  private blockEnded(block: Block, state: BlockState, detail: string | undefined): void {
    block.state = state;
    block.detail = detail;
    this.blocks.delete(block.id);
    const word = state.toUpperCase();
    this.rememberEnded(block, state, !detail ? word : detail.toUpperCase().startsWith(word) ? detail : `${word}: ${detail}`);
    const busy = [...block.managers].reduce((n, m) => n + m.running.size, 0);
    const level = block.ending && busy === 0 ? 'info' : 'warn';
    this.log[level]({ blockId: block.id, jobId: block.jobId, state, detail, busyTasks: busy }, 'block ended');
    for (const manager of [...block.managers]) this.managerLost(manager, `block ${block.id} ended (${detail ?? state})`);
    this.capacityChanged();
  }

  private rememberEnded(block: Block, state: string, schedulerState: string): void {
    this.recentlyEnded.unshift({ block_id: block.id, job_id: block.jobId ?? null, state, scheduler_state: schedulerState.slice(0, 1000), managers: [] });
    this.recentlyEnded.splice(RECENTLY_ENDED_SHOWN);
  }

  // --- the strategy loop ---------------------------------------------------

  private scheduleTick(): void {
    if (this.stopping.signal.aborted) return;
    this.tick = setTimeout(() => {
      this.ticking = this.strategyTick()
        .catch((error) => this.log.error({ err: asError(error) }, 'block strategy failed'))
        .finally(() => this.scheduleTick());
    }, this.options.blocks.strategyPeriodMs);
  }

  private async strategyTick(): Promise<void> {
    const { provider, blocks: settings } = this.options;
    // 1. Blocks the scheduler says ended.
    const watched = [...this.blocks.values()].filter((b) => b.jobId);
    if (watched.length > 0) {
      let statuses;
      try {
        statuses = await provider.status(watched.map((b) => b.jobId!));
      } catch (error) {
        this.log.warn({ err: asError(error).message }, 'could not poll block states; trying again next period');
      }
      if (this.stopping.signal.aborted) return;
      for (const block of watched) {
        const status = statuses?.get(block.jobId!);
        if (!status) continue;
        if (TERMINAL_STATES.has(status.state)) this.blockEnded(block, status.state, status.detail);
        else if (block.managers.size === 0) {
          block.state = status.state;
          block.detail = status.detail;
          if (status.state === 'running') block.startedAtMs ??= Date.now();
        } else block.detail = status.detail;
      }
    }
    // Blocks that run but whose manager never dialled in (wrong connect_address, a firewall, a worker_init that hangs).
    for (const block of this.blocks.values()) {
      if (block.ending || block.everConnected || block.startedAtMs === undefined) continue;
      if (Date.now() - block.startedAtMs > settings.managerStartTimeoutMs) {
        this.log.warn({ blockId: block.id, jobId: block.jobId, connect: `${settings.connectAddress}:${this.port}` }, 'block runs but its manager never connected; see the block\'s output file');
        void this.endBlock(block, `no manager connected within manager_start_timeout (${Math.round(settings.managerStartTimeoutMs / 1000)}s)`);
      }
    }
    // 2. Managers that went silent.
    const now = Date.now();
    for (const block of [...this.blocks.values()]) {
      for (const manager of [...block.managers]) {
        if (now - manager.lastHeardMs > settings.managerTimeoutMs) {
          this.managerLost(manager, `manager ${manager.id} sent nothing for ${Math.round((now - manager.lastHeardMs) / 1000)}s`);
        }
      }
    }
    // 3. Scale.
    const live = [...this.blocks.values()].filter((b) => !b.ending);
    const plan = planScaling({
      nowMs: now,
      waitingTasks: this.waiting.length,
      blocks: live.map((b) => ({
        blockId: b.id,
        phase: b.managers.size > 0 ? 'connected' : 'pending',
        busy: [...b.managers].reduce((n, m) => n + m.running.size, 0),
        slots: [...b.managers].reduce((n, m) => n + m.slots, 0),
        idleSinceMs: b.idleSinceMs,
      })),
      slotsPerBlock: this.slotsPerBlock,
      minBlocks: settings.minBlocks,
      maxBlocks: settings.maxBlocks,
      maxIdleMs: settings.maxIdleMs,
    });
    // MPI tasks need free nodes, not just free slots: blocks for those that fit on no live block.
    const forMpi = blocksForNodes(
      this.waiting.filter((p) => p.nodes > 0).map((p) => p.nodes),
      live.map((b) => settings.nodesPerBlock - b.nodesInUse),
      settings.nodesPerBlock,
    );
    const wanted = Math.min(Math.max(plan.submit, forMpi), Math.max(0, settings.maxBlocks - live.length));
    const submit = now < this.submitPausedUntilMs ? 0 : wanted;
    for (let i = 0; i < submit; i++) this.submitBlock(`${this.waiting.length} task(s) waiting for a worker`);
    for (const blockId of plan.end) {
      const block = this.blocks.get(blockId);
      if (block) void this.endBlock(block, `idle for max_idletime (${Math.round(settings.maxIdleMs / 1000)}s)`);
    }
  }

  // --- what the agent asks -------------------------------------------------

  capacity(): number {
    let slots = 0;
    let live = 0;
    for (const block of this.blocks.values()) {
      if (block.ending) continue;
      live += 1;
      const connected = [...block.managers].reduce((n, m) => n + m.slots, 0);
      slots += block.managers.size > 0 ? connected : this.slotsPerBlock;
    }
    if (live < this.options.blocks.maxBlocks) slots += this.slotsPerBlock;
    return slots;
  }

  onCapacityChange(listener: () => void): void {
    this.capacityListeners.push(listener);
  }

  private capacityChanged(): void {
    for (const listener of this.capacityListeners) listener();
  }

  waitingForNodes(): string[] {
    return this.waiting.map((pending) => pending.task.taskId);
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
    for (const block of this.blocks.values()) {
      for (const manager of block.managers) {
        total += manager.slots;
        busy += manager.running.size;
      }
    }
    return { totalWorkers: total, idleWorkers: Math.max(0, total - busy) };
  }

  details(): ExecutorDetails {
    const blocks: BlockDetails[] = [...this.blocks.values()].map((b) => ({
      block_id: b.id,
      job_id: b.jobId ?? null,
      state: b.ending ? 'ending' : b.state,
      ...(b.detail ? { scheduler_state: b.detail } : {}),
      managers: [...b.managers].map((m) => ({ manager_id: m.id, hostname: m.hostname, slots: m.slots, running: m.running.size })),
    }));
    return { blocks, ended_blocks: [...this.recentlyEnded], waiting_for_nodes: this.waiting.length, listen_port: this.port };
  }

  withdrawWaiting(): string[] {
    const withdrawn = this.waiting.splice(0);
    for (const pending of withdrawn) pending.resolve(failed('ExecutorStopped', 'the endpoint is stopping; the task had not started', true));
    if (withdrawn.length > 0) this.log.info({ tasks: withdrawn.length }, 'stopping: tasks still waiting for a worker are handed back');
    return withdrawn.map((p) => p.task.taskId);
  }

  runtimes(): Promise<RuntimeVersion[]> {
    // Managers run the same interpreters as the login node in the usual shared-software setup; what the login node has is reported.
    this.versions ??= detectRuntimes(this.options.worker.python, this.log);
    return this.versions;
  }

  /** Ends every block (scancel), settles every task, closes the listener. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.tick);
    await this.ticking;
    for (const pending of this.waiting.splice(0)) pending.resolve(failed('ExecutorStopped', 'the executor stopped before the task ran', true));
    // Blocks still being submitted are cancelled as soon as they have a job id.
    await Promise.allSettled([...this.submissions]);
    const blocks = [...this.blocks.values()];
    const cancelled = blocks.map((block) => this.endBlock(block, 'the endpoint is stopping'));
    for (const block of blocks) {
      for (const manager of [...block.managers]) this.managerLost(manager, 'the endpoint is stopping');
    }
    await Promise.allSettled(cancelled);
    await this.options.provider.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info({ blocks: blocks.length }, 'blocks ended; executor stopped');
  }
}
