/**
 * The long-lived workers of one runtime: started on demand (the first task of
 * the runtime starts the first one) up to `size`, kept warm between tasks,
 * replaced when they die. A task goes to an idle worker that already compiled
 * its function when there is one (warm), else to the most recently used idle
 * worker, else to a new worker. Workers idle for long are ended (shrink), and
 * the executor may end this pool's least recently used idle worker to make
 * room for another runtime's (evictIdle): the endpoint's workers, across
 * runtimes, stay within max_workers processes.
 */
import { Semaphore } from './semaphore.js';
import type { WorkerProcess } from './workerProcess.js';

export class WorkerPool {
  private readonly workers = new Set<WorkerProcess>();
  /** Workers ended by shrink or evictIdle, until they have exited. */
  private readonly ending = new Set<WorkerProcess>();
  /** Idle, alive workers; the most recently used last. */
  private idle: WorkerProcess[] = [];
  /** When each idle worker last finished a task (performance.now()). */
  private readonly idleSince = new WeakMap<WorkerProcess, number>();
  private readonly slots: Semaphore;
  private stopped = false;

  constructor(
    private readonly spawnWorker: () => WorkerProcess,
    size: number,
    /** Called before a new worker is started: the executor may end an idle worker of another runtime. */
    private readonly beforeSpawn: () => void = () => {},
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
    this.beforeSpawn();
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
    if (worker.alive && !this.stopped && this.workers.has(worker)) {
      this.idle.push(worker);
      this.idleSince.set(worker, performance.now());
    }
    this.slots.release();
  }

  /** Live workers waiting for a task. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Ends the least recently used idle worker (another runtime needs the process); false if none is idle. */
  evictIdle(): boolean {
    const worker = this.idle.shift();
    if (!worker) return false;
    this.end(worker);
    return true;
  }

  /** Ends the workers idle for at least `idleMs`; returns how many. */
  shrink(idleMs: number): number {
    const cutoff = performance.now() - idleMs;
    const ending = this.idle.filter((w) => (this.idleSince.get(w) ?? 0) <= cutoff);
    if (ending.length === 0) return 0;
    this.idle = this.idle.filter((w) => !ending.includes(w));
    for (const worker of ending) this.end(worker);
    return ending.length;
  }

  /** Forgets the worker at once (it no longer counts against the process limit) and kills it. */
  private end(worker: WorkerProcess): void {
    this.workers.delete(worker);
    this.ending.add(worker);
    void worker.kill().then(() => this.ending.delete(worker));
  }

  get size(): number {
    return this.workers.size;
  }

  pids(): number[] {
    return [...this.workers, ...this.ending].flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  }

  /** Kills every worker (running tasks included) and waits until all have exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.idle = [];
    await Promise.all([...this.workers, ...this.ending].map((w) => w.kill()));
  }
}
