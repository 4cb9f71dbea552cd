/**
 * The nodes one worker manager (or the local executor) owns, handed whole to
 * MPI tasks: a task needing N nodes waits until N are free, and no node runs
 * two MPI tasks at once (no oversubscription). Waiters are served in order of
 * arrival, so a large task is not starved by a stream of small ones.
 */
import { Aborted } from '../workers/semaphore.js';

interface Waiter {
  count: number;
  grant: (nodes: string[]) => void;
}

export class NodePool {
  private readonly free: string[];
  private readonly waiters: Waiter[] = [];

  constructor(readonly nodes: readonly string[]) {
    this.free = [...nodes];
  }

  get size(): number {
    return this.nodes.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** `count` nodes now, if that many are free and nobody waits before us. */
  tryAcquire(count: number): string[] | undefined {
    return this.waiters.length === 0 && this.free.length >= count ? this.free.splice(0, count) : undefined;
  }

  /** Resolves with `count` nodes now ours; rejects with Aborted if the signal fires first. */
  acquire(count: number, signal?: AbortSignal): Promise<string[]> {
    if (count > this.nodes.length) throw new RangeError(`${count} nodes asked of a pool of ${this.nodes.length}`);
    if (signal?.aborted) return Promise.reject(new Aborted('aborted before nodes were free'));
    if (this.waiters.length === 0 && this.free.length >= count) return Promise.resolve(this.free.splice(0, count));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count,
        grant: (nodes) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(nodes);
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Aborted('aborted while waiting for nodes'));
        this.grantWaiting();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(nodes: string[]): void {
    this.free.push(...nodes);
    this.grantWaiting();
  }

  private grantWaiting(): void {
    while (this.waiters.length > 0 && this.free.length >= this.waiters[0].count) {
      const waiter = this.waiters.shift()!;
      waiter.grant(this.free.splice(0, waiter.count));
    }
  }
}
