/**
 * The agent's cancel watch: while it holds tasks, one long-poll
 * (POST /v3/endpoints/{id}/cancels) is open with their ids, and the service
 * answers it the moment one of them is cancelled. A running task is then
 * stopped within a moment of its cancel, where the heartbeat (which also
 * says it, every heartbeat_period) could take 10 s or more.
 *
 * The watch names the tasks it watches, so when the agent takes new tasks
 * the poll in flight is replaced. A task is watched only once it has been
 * held for WATCH_AFTER_MS: most tasks finish sooner, and a watch replaced for
 * each short task costs a request and, since an aborted request's connection
 * is not reused, a new connection for a later request, which a WAN away is a
 * network round trip added to the task's own round trip. The pause also makes
 * a lease of many tasks restart the watch once. An old service without the
 * route (404) is watched no more: heartbeats still carry cancels there.
 */
import type { Logger } from './logger.js';
import { ErrorCode, asError } from '@funcx-ts/shared/errors.js';
import { sleep } from '@funcx-ts/shared/time.js';
import { linkedAbortSignal } from '@funcx-ts/shared/linkedAbortSignal.js';
import { Backoff } from './backoff.js';
import { CredentialRefused, ServiceRejected, ServiceUnreachable } from './errors.js';
import type { ServiceClient } from './client.js';

/** How long one watch waits on the service before it is renewed. */
const WATCH_WAIT_MS = 20_000;
/**
 * How long a task is held before the watch covers it. A cancel in a task's first second still
 * arrives: through the watch once it covers the task, or with the next heartbeat.
 */
export const WATCH_AFTER_MS = 1000;

export interface CancelWatchDeps {
  client: ServiceClient;
  credential: string;
  endpointId: string;
  /** The ids of the tasks to watch: held, and not already being stopped. */
  watched: () => string[];
  /** The service says these were cancelled. */
  cancelled: (taskIds: string[]) => void;
  stopped: AbortSignal;
  log: Logger;
}

export class CancelWatch {
  private current = new Set<string>();
  private restart: AbortController | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly deps: CancelWatchDeps) {}

  /** The agent took or dropped tasks: renew the watch if it does not cover them all. */
  heldChanged(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    if (this.restartTimer || !this.restart || this.covered()) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      // Tasks that finished meanwhile need no watch: replace the poll only for those still held.
      if (!this.covered()) this.restart?.abort();
    }, WATCH_AFTER_MS);
    this.restartTimer.unref();
  }

  /** Whether the poll in flight watches every task that should be watched. */
  private covered(): boolean {
    return this.deps.watched().every((id) => this.current.has(id));
  }

  async run(): Promise<void> {
    const { client, credential, endpointId, stopped, log } = this.deps;
    const backoff = new Backoff();
    const onStop = () => this.wake?.();
    stopped.addEventListener('abort', onStop, { once: true });
    try {
      while (!stopped.aborted) {
        const ids = this.deps.watched();
        if (ids.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          await sleep(WATCH_AFTER_MS, stopped); // then watch only the tasks still held
          continue;
        }
        this.current = new Set(ids);
        const restart = (this.restart = new AbortController());
        const watchEnds = linkedAbortSignal([stopped, restart.signal]);
        try {
          const { cancel } = await client.watchCancels(credential, endpointId, ids, WATCH_WAIT_MS, watchEnds.signal);
          backoff.reset();
          if (cancel.length > 0) this.deps.cancelled(cancel);
        } catch (error) {
          if (restart.signal.aborted || stopped.aborted) continue;
          if (error instanceof ServiceRejected && error.serviceCode === ErrorCode.RouteNotFound) {
            log.info('the service has no cancel watch; cancels arrive with heartbeats');
            return;
          }
          // The heartbeat loop reports a refused credential and stops the agent; here, just wait.
          if (!(error instanceof ServiceUnreachable) && !(error instanceof CredentialRefused)) log.warn({ err: asError(error) }, 'cancel watch failed; retrying');
          await backoff.wait(error, stopped);
        } finally {
          watchEnds.release();
          this.restart = undefined;
          clearTimeout(this.restartTimer);
          this.restartTimer = undefined;
        }
      }
    } finally {
      stopped.removeEventListener('abort', onStop);
    }
  }
}
