/**
 * prefetch: auto hands back tasks leased ahead that wait too long. Tasks leased ahead wait for
 * our workers; when those are busy with long tasks (the prefetch wanted has dropped below what
 * waits here), tasks beyond it that have waited HOARD_WAIT_MS go back to the service, where an
 * endpoint with free workers can take them. While tasks wait, the check runs every HOARD_CHECK_MS.
 */
import type { Logger } from '../logger.js';
import type { EndpointSettings } from '../config.js';
import type { HandBacks } from './handBacks.js';
import type { HeldTasks } from './heldTasks.js';
import type { Room } from './room.js';

/** With prefetch: auto, how often (while tasks wait for a worker) to look for tasks leased ahead that wait too long. */
const HOARD_CHECK_MS = 1_000;
/** A task leased ahead and waiting at least this long, beyond what prefetch: auto now wants, is handed back. */
const HOARD_WAIT_MS = 1_000;

export class HoardCheck {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      settings: EndpointSettings; held: HeldTasks; room: Room; handBacks: HandBacks; log: Logger;
      /** Aborted when the agent stops leasing: the check stops too (drain hands back what waits). */
      leasing: AbortSignal;
    },
  ) {}

  /** A task is queued: look in a while, unless a look is already due. */
  schedule(): void {
    if (this.deps.settings.prefetch !== 'auto' || this.#timer || this.deps.leasing.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#handBackHoarded();
    }, HOARD_CHECK_MS);
    this.#timer.unref();
  }

  #handBackHoarded(): void {
    const { held, room, handBacks, log, leasing } = this.deps;
    if (leasing.aborted) return;
    const queued = held.waitingToStart();
    if (queued.length === 0) return;
    const excess = queued.length - room.prefetch();
    const now = performance.now();
    // The last leased go back first: the earlier ones keep their place in line here.
    const hoarded = queued.filter((t) => now - t.leasedAt >= HOARD_WAIT_MS).slice(-Math.max(0, excess));
    if (excess > 0 && hoarded.length > 0) {
      for (const task of hoarded) held.givenBack(task);
      log.info({ tasks: hoarded.length, prefetch: room.prefetch() }, 'handing back tasks leased ahead: the workers are busy with long tasks');
      handBacks.handBack(hoarded);
    }
    if (queued.length > hoarded.length) this.schedule();
  }
}
