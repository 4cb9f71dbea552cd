/** A counting semaphore whose waiters can give up (abort) while queued. */

export class Aborted extends Error {}

export class Semaphore {
  private used = 0;
  private readonly waiters: { grant: () => void }[] = [];

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes a slot if one is free now (no promise, no signal: the hot path). */
  tryAcquire(): boolean {
    if (this.used >= this.capacity || this.waiters.length > 0) return false;
    this.used += 1;
    return true;
  }

  /** Resolves when a slot is ours; rejects with Aborted if `signal` fires first (no slot is then held). */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Aborted('aborted before a slot was free'));
    if (this.used < this.capacity && this.waiters.length === 0) {
      this.used += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.used += 1;
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Aborted('aborted while waiting for a slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    this.used -= 1;
    if (this.used < this.capacity) this.waiters.shift()?.grant();
  }
}
