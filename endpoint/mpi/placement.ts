/**
 * MPI tasks in an executor that runs tasks itself (the local executor, a
 * worker manager on a block): each task with a resource_specification waits
 * for its nodes from the pool, runs with the launcher prefix built for those
 * nodes in its environment, and gives them back when it ends. Tasks waiting
 * here are the executor's waiting-for-nodes.
 */
import type { TaskOutcome, TaskToRun } from '../execution.js';
import { failed } from '../workers/errors.js';
import { Aborted } from '../workers/semaphore.js';
import { eitherSignal } from '../workers/walltime.js';
import { mpiEnvironment, type MpiSettings } from './launcher.js';
import { NodePool } from './nodePool.js';
import { taskNeeds } from './resources.js';

export type Placed = { refused: TaskOutcome } | { env: Record<string, string>; release(): void };

export class MpiPlacement {
  private readonly pool: NodePool | undefined;
  private readonly waiting = new Set<string>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly config: { settings: MpiSettings; nodes: string[]; described: string } | null,
    private readonly stopping: AbortSignal,
  ) {
    this.pool = config ? new NodePool(config.nodes) : undefined;
  }

  /** The task's nodes and environment (none for an ordinary task), or why it cannot run here. */
  async place(task: TaskToRun, signal: AbortSignal): Promise<Placed> {
    const needs = taskNeeds(task, this.config?.settings ?? null, this.pool?.size ?? 0, this.config?.described ?? 'no nodes');
    if ('refused' in needs) return needs;
    if (!needs.resources) return { env: {}, release: () => {} };
    const resources = needs.resources;
    const pool = this.pool!;
    let nodes = pool.tryAcquire(resources.numNodes);
    if (!nodes) {
      this.waiting.add(task.taskId);
      this.changed();
      const either = eitherSignal(signal, this.stopping);
      try {
        nodes = await pool.acquire(resources.numNodes, either.signal);
      } catch (error) {
        if (!(error instanceof Aborted)) throw error;
        return {
          refused: this.stopping.aborted
            ? failed('ExecutorStopped', 'the executor stopped before the task got its nodes', true)
            : failed('TaskCancelled', 'the task was cancelled before it started'),
        };
      } finally {
        either.dispose();
        this.waiting.delete(task.taskId);
        this.changed();
      }
    }
    const granted = nodes;
    return { env: mpiEnvironment(this.config!.settings, resources, granted), release: () => pool.release(granted) };
  }

  waitingTaskIds(): string[] {
    return [...this.waiting];
  }

  onWaitingChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
