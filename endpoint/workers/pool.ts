/**
 * The long-lived workers of one runtime: started on demand up to `size`, kept
 * warm between tasks, replaced when they die. A task goes to an idle worker
 * that already compiled its function when there is one (warm), else to the
 * most recently used idle worker, else to a new worker.
 */
import { Semaphore } from './semaphore.js';
import type { WorkerProcess } from './workerProcess.js';

export class WorkerPool {
  private readonly workers = new Set<WorkerProcess>();
  /** Idle, alive workers; the most recently used last. */
  private idle: WorkerProcess[] = [];
  private readonly slots: Semaphore;
  private stopped = false;

  constructor(
    private readonly spawnWorker: () => WorkerProcess,
    size: number,
  ) {
    this.slots = new Semaphore(size);
  }

  /** A worker for one task; waits while all `size` workers are busy. Rejects with Aborted if `signal` fires first. */
  async acquire(functionKey: string, signal?: AbortSignal): Promise<WorkerProcess> {
    await this.slots.acquire(signal);
    if (this.stopped) {
      this.slots.release();
      throw new Error('the worker pool is stopped');
    }
    return this.take(functionKey);
  }

  private take(functionKey: string): WorkerProcess {
    this.idle = this.idle.filter((w) => w.alive);
    let index = this.idle.findLastIndex((w) => w.warm.has(functionKey));
    if (index < 0) index = this.idle.length - 1;
    if (index >= 0) return this.idle.splice(index, 1)[0];
    const worker = this.spawnWorker();
    this.workers.add(worker);
    void worker.exited.then(() => {
      this.workers.delete(worker);
      this.idle = this.idle.filter((w) => w !== worker);
    });
    return worker;
  }

  /** An idle worker (or a new one) if a slot is free now, without waiting: the hot path. */
  tryAcquire(functionKey: string): WorkerProcess | undefined {
    if (this.stopped || !this.slots.tryAcquire()) return undefined;
    return this.take(functionKey);
  }

  /** Gives the worker back (a dead one is forgotten; the next task starts a fresh one). */
  release(worker: WorkerProcess): void {
    if (worker.alive && !this.stopped) this.idle.push(worker);
    this.slots.release();
  }

  get size(): number {
    return this.workers.size;
  }

  pids(): number[] {
    return [...this.workers].flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  }

  /** Kills every worker (running tasks included) and waits until all have exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.idle = [];
    await Promise.all([...this.workers].map((w) => w.kill()));
  }
}
