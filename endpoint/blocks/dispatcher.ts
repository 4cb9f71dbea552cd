/**
 * The tasks of the block executor: the queue of tasks waiting for a slot, and
 * handing each to the least busy connected manager with a free slot (and, for
 * an MPI task, a block with enough nodes free). MPI tasks keep their order
 * among themselves (a big one is not overtaken forever by small ones);
 * ordinary tasks may pass an MPI task that waits for nodes.
 *
 * A task leaves the dispatcher when its manager sends its outcome, when it is
 * cancelled while waiting, or when its manager is lost (blockPool.ts settles
 * those).
 */
import { failed } from '../workers/errors.js';
import type { TaskOutcome, TaskToRun } from '../execution.js';
import type { ManagerMessage } from './protocol.js';
import type { Block, BlockTask, WorkerManager } from './model.js';

export interface DispatcherOptions {
  nodesPerBlock: number;
  /** The blocks tasks may go to (the block pool's). */
  blocks: () => Iterable<Block>;
  block: (blockId: string) => Block | undefined;
  /** The waiting queue grew or shrank. */
  waitingChanged: () => void;
  /** A slot came free. */
  capacityChanged: () => void;
}

export class Dispatcher {
  private readonly waiting: BlockTask[] = [];

  constructor(private readonly options: DispatcherOptions) {}

  /** Queues the task for a slot; settles with its outcome. `nodes`: whole nodes it needs (MPI), else 0. */
  enqueue(task: TaskToRun, signal: AbortSignal, nodes: number): Promise<TaskOutcome> {
    return new Promise<TaskOutcome>((resolve) => {
      const pending: BlockTask = {
        task,
        signal,
        nodes,
        resolve: (outcome) => {
          signal.removeEventListener('abort', pending.onAbort);
          resolve(outcome);
        },
        onAbort: () => this.abort(pending),
      };
      if (signal.aborted) return pending.resolve(failed('TaskCancelled', 'the task was cancelled before it started'));
      signal.addEventListener('abort', pending.onAbort, { once: true });
      this.waiting.push(pending);
      this.dispatch();
      this.options.waitingChanged();
    });
  }

  /** Ids of the tasks waiting for a slot. */
  waitingIds(): string[] {
    return this.waiting.map((pending) => pending.task.taskId);
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Nodes each waiting MPI task needs (ordinary tasks left out). */
  waitingNodeNeeds(): number[] {
    return this.waiting.filter((p) => p.nodes > 0).map((p) => p.nodes);
  }

  /** Settles every waiting task with `outcome`; their tasks' ids. */
  withdrawAll(outcome: TaskOutcome): TaskToRun[] {
    const withdrawn = this.waiting.splice(0);
    for (const pending of withdrawn) pending.resolve(outcome);
    return withdrawn.map((p) => p.task);
  }

  /** Hands waiting tasks to the least busy managers with a free slot. */
  dispatch(): void {
    const waitingBefore = this.waiting.length;
    this.dispatchWaiting();
    if (this.waiting.length !== waitingBefore) this.options.waitingChanged();
  }

  /** A manager sent a task's outcome. */
  result(manager: WorkerManager, message: Extract<ManagerMessage, { type: 'result' }>): void {
    const pending = manager.running.get(message.task_id);
    if (!pending || pending.task.attempt !== message.attempt) return;
    manager.running.delete(message.task_id);
    this.leftManager(manager, pending);
    if (manager.running.size === 0) this.options.block(manager.blockId)!.idleSinceMs = Date.now();
    pending.resolve(message.outcome);
    this.dispatch();
    this.options.capacityChanged();
  }

  /** A task left its manager: its block's nodes are free again. */
  leftManager(manager: WorkerManager, pending: BlockTask): void {
    const block = this.options.block(manager.blockId);
    if (block) block.nodesInUse -= pending.nodes;
  }

  private abort(pending: BlockTask): void {
    const index = this.waiting.indexOf(pending);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      pending.resolve(failed('TaskCancelled', 'the task was cancelled before it started'));
      this.options.waitingChanged();
      return;
    }
    // On a manager: it kills the task and answers with its outcome (or is lost, which also settles it).
    pending.manager?.channel.send({ type: 'cancel', task_id: pending.task.taskId, attempt: pending.task.attempt });
  }

  private dispatchWaiting(): void {
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
      const block = this.options.block(best.blockId)!;
      block.idleSinceMs = Date.now();
      block.nodesInUse += pending.nodes;
      best.channel.send({ type: 'task', task: pending.task });
    }
  }

  /** The least busy manager with a free slot, on a block with `nodes` nodes free. */
  private managerFor(nodes: number): WorkerManager | undefined {
    let best: WorkerManager | undefined;
    for (const block of this.options.blocks()) {
      if (block.ending || this.options.nodesPerBlock - block.nodesInUse < nodes) continue;
      for (const manager of block.managers) {
        const free = manager.slots - manager.running.size;
        if (!manager.gone && free > 0 && (!best || free > best.slots - best.running.size)) best = manager;
      }
    }
    return best;
  }
}
