/**
 * The agent's cancel watch: while it holds tasks, one long-poll
 * (POST /v3/endpoints/{id}/cancels) is open with their ids, and the service
 * answers it the moment one of them is cancelled. A running task is then
 * stopped within a moment of its cancel, where the heartbeat (which also
 * says it, every heartbeat_period) could take 10 s or more.
 *
 * The watch names the tasks it watches, so when the agent takes new tasks
 * the poll in flight is replaced (after a short pause, so a lease of many
 * tasks restarts it once). An old service without the route (404) is
 * watched no more: heartbeats still carry cancels there.
 */
import type { Logger } from './logger.js';
import { ErrorCode, asError } from '@funcx-ts/shared/errors.js';
import { Backoff } from './backoff.js';
import { CredentialRefused, ServiceRejected, ServiceUnreachable } from './errors.js';
import type { ServiceClient } from './client.js';

/** How long one watch waits on the service before it is renewed. */
const WATCH_WAIT_MS = 20_000;
/** New tasks held: the watch in flight is replaced after this pause (one restart per burst of leases). */
const RESTART_PAUSE_MS = 100;

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
    if (this.restartTimer || !this.restart) return;
    if (this.deps.watched().every((id) => this.current.has(id))) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restart?.abort();
    }, RESTART_PAUSE_MS);
    this.restartTimer.unref();
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
          continue;
        }
        this.current = new Set(ids);
        const restart = (this.restart = new AbortController());
        try {
          const { cancel } = await client.watchCancels(credential, endpointId, ids, WATCH_WAIT_MS, AbortSignal.any([stopped, restart.signal]));
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
