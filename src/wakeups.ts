/**
 * In-process wake-ups for long-polls: a submit wakes the polls of its endpoint,
 * a finished task wakes the clients waiting on it. On a shared database the
 * replica relay (src/fleet/replicaRelay.ts) carries them to the other replicas.
 * This only makes polls fast; nothing correct depends on it, since every poll
 * also re-checks the database now and then (FUNCX_POLL_FALLBACK_INTERVAL).
 *
 * Subscribe before reading the database, then wait: a signal that arrives
 * between the read and the wait is not lost.
 */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly observers = new Set<(key: string) => void>();
  private readonly hearers = new Set<(key: string) => void>();

  /**
   * Sees every key this process notifies (not those the relay brings from
   * other replicas), waiters or not: for work that follows a task's end here
   * (publishing upstream results over AMQP). Returns the
   * way to stop observing. An observer must not throw, nor block.
   */
  observe(observer: (key: string) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Hears every key this process wakes for, its own and those the relay brings, waiters or
   * not: for memory that a key's state has not changed since (knownEmptyLeaseQueues.ts).
   * Returns the way to stop hearing. A hearer must not throw, nor block.
   */
  hear(hearer: (key: string) => void): () => void {
    this.hearers.add(hearer);
    return () => this.hearers.delete(hearer);
  }

  subscribe(keys: readonly string[]): Subscription {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    let fired = false;
    const listener = () => {
      fired = true;
      wake();
    };
    for (const key of keys) {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(listener);
    }
    const unsubscribe = () => {
      for (const key of keys) {
        const set = this.waiters.get(key);
        set?.delete(listener);
        if (set?.size === 0) this.waiters.delete(key);
      }
    };
    return {
      get fired() {
        return fired;
      },
      /** Resolves when a key is signalled, `ms` pass, or `signal` aborts. */
      wait: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve) => {
          if (fired || signal?.aborted) return resolve();
          const timer = setTimeout(done, Math.max(0, ms));
          signal?.addEventListener('abort', done, { once: true });
          void woken.then(done);
          function done(): void {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          }
        }),
      unsubscribe,
    };
  }

  /**
   * Set by the replica relay (src/fleet/replicaRelay.ts) on a shared database: every key
   * notified here is also announced to the other replicas.
   */
  relay?: (key: string) => void;

  /**
   * A subscription held across many waits, that says which keys fired: a long-poll on
   * 1,000 tasks then re-reads only the tasks that finished, not all 1,000, at each wake-up.
   * Keys fired between two waits are kept for the next one.
   */
  watch(keys: readonly string[]): Watch {
    let fired: string[] = [];
    let wake: (() => void) | undefined;
    const listeners = new Map<string, () => void>();
    for (const key of keys) {
      const listener = () => {
        fired.push(key);
        wake?.();
      };
      listeners.set(key, listener);
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(listener);
    }
    return {
      next: (ms, signal) =>
        new Promise<string[]>((resolve) => {
          const take = () => {
            const keys = fired;
            fired = [];
            return keys;
          };
          if (fired.length > 0 || signal?.aborted) return resolve(take());
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            wake = undefined;
            resolve(take());
          };
          const timer = setTimeout(done, Math.max(0, ms));
          signal?.addEventListener('abort', done, { once: true });
          wake = done;
        }),
      unsubscribe: () => {
        for (const [key, listener] of listeners) {
          const set = this.waiters.get(key);
          set?.delete(listener);
          if (set?.size === 0) this.waiters.delete(key);
        }
      },
    };
  }

  /** Wakes the key's waiters here and, through the relay, on other replicas; true when a waiter here was woken. */
  notify(key: string): boolean {
    const woken = this.notifyLocal(key);
    this.relay?.(key);
    // Observers see this replica's own keys only: what others announce, they act on themselves.
    for (const observer of this.observers) observer(key);
    return woken;
  }

  /** Wakes this process's waiters only (what the relay calls for keys other replicas announced); true when one was woken. */
  notifyLocal(key: string): boolean {
    for (const hearer of this.hearers) hearer(key);
    const set = this.waiters.get(key);
    if (!set) return false;
    for (const listener of [...set]) listener();
    return true;
  }

  /** How many keys have waiters (for tests and metrics). */
  get size(): number {
    return this.waiters.size;
  }
}

export interface Subscription {
  readonly fired: boolean;
  wait(ms: number, signal?: AbortSignal): Promise<void>;
  unsubscribe(): void;
}

export interface Watch {
  /** The keys fired since the last call, as soon as there is one; [] after `ms` or when `signal` aborts. */
  next(ms: number, signal?: AbortSignal): Promise<string[]>;
  unsubscribe(): void;
}

export const endpointKey = (endpointId: string) => `endpoint:${endpointId}`;
export const taskKey = (taskId: string) => `task:${taskId}`;
/** One lease poll's own key: a submit that handed it tasks wakes it alone (waitingLeasePolls.ts), with no wake-up for its endpoint. */
export const leasePollKey = (pollNumber: number) => `lease-poll:${pollNumber}`;
/** New live output of a task (routes/taskOutput.ts). */
export const taskOutputKey = (taskId: string) => `output:${taskId}`;
export const taskIdOfKey = (key: string) => key.slice('task:'.length);
