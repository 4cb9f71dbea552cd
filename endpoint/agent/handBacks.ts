/**
 * Handing leases back to the service (POST .../release): tasks not run when stopping, tasks
 * leased ahead that wait too long, tasks that may not start unaudited, what a poll brought after
 * the stop. Best effort: if the service is unreachable the leases simply expire and the tasks
 * are retried. Stopping waits for the hand-backs in flight, so one made just before exit still
 * reaches the service.
 */
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { sleep } from '@funcx-ts/shared/time.js';
import type { HeldLease, ServiceClient } from '../client.js';
import type { HeldTask, HeldTasks } from './heldTasks.js';

export class HandBacks {
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: { client: ServiceClient; credential: string; endpointId: string; held: HeldTasks; log: Logger },
  ) {}

  /** These tasks are held no more; their leases go back. */
  handBack(tasks: HeldTask[]): void {
    for (const task of tasks) this.deps.held.forget(task);
    this.release(tasks.map((t) => ({ task_id: t.lease.task_id, lease_token: t.lease.lease_token })));
  }

  /** Gives leases back (they may never have been held: a poll answered after the stop). */
  release(leases: HeldLease[]): void {
    if (leases.length === 0) return;
    const { client, credential, endpointId, log } = this.deps;
    const releasing = client.release(credential, endpointId, leases).then(
      ({ released }) => log.info({ released: released.length }, 'handed back tasks not run'),
      (error) => log.warn({ err: asError(error), tasks: leases.length }, 'could not hand back tasks; their leases will expire'),
    );
    this.#inFlight.add(releasing);
    void releasing.finally(() => this.#inFlight.delete(releasing));
  }

  /** Waits until the hand-backs in flight are answered, or `deadline` (ms since the epoch). */
  async settled(deadline: number): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const bounded = new AbortController(); // its timer must not keep the process alive once released
    await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(Math.max(0, deadline - Date.now()), bounded.signal)]);
    bounded.abort();
  }
}
