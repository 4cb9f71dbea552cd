/**
 * What the agent knows of its connection to the service, and how every loop treats a failed
 * call: a refused credential is fatal (the agent stops at once), an unreachable service (network,
 * 5xx, 429) or a refusal of our request (4xx: a bug) is logged and retried with the endpoint's
 * one backoff (../backoff.ts), a 507 is said once per episode (serviceStorageFull.ts).
 *
 * Each loop keeps its own Backoff: succeeded() resets it; retryLater() is the retry step.
 */
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import type { Backoff } from '../backoff.js';
import { CredentialRefused, ServiceRejected, ServiceUnreachable } from '../errors.js';
import { ServiceStorageFull, STORAGE_FULL_CODE } from '../serviceStorageFull.js';

export class ServiceConnection {
  #connected = false;
  #fatal: CredentialRefused | undefined;
  readonly #storageFull: ServiceStorageFull;

  constructor(
    private readonly log: Logger,
    private readonly serviceUrl: string,
    /** The credential was refused: stop now. */
    private readonly onFatal: (why: string) => void,
  ) {
    this.#storageFull = new ServiceStorageFull(log);
  }

  /** The last call reached the service (else results go straight to the spool). */
  get connected(): boolean {
    return this.#connected;
  }

  /** Set when the service refused the credential: the agent stops and run() rejects with it. */
  get fatal(): Error | undefined {
    return this.#fatal;
  }

  /** A call made `during` succeeded: connected, and its loop's backoff starts over. */
  succeeded(during: string, backoff?: Backoff): void {
    if (!this.#connected) this.log.info({ service: this.serviceUrl }, 'connected to the service');
    this.#connected = true;
    this.#storageFull.accepted(during);
    backoff?.reset();
  }

  /** Logs a failed service call; returns false when the agent must stop (credential refused). */
  failed(error: unknown, during: string): boolean {
    if (error instanceof CredentialRefused) {
      if (!this.#fatal) {
        this.#fatal = error;
        this.log.error({ during, code: error.serviceCode }, `${error.message}; stopping (re-register with \`funcx-endpoint start\`, or ask the owner for access)`);
        this.onFatal('stopping now: the service no longer accepts this endpoint');
      }
      return false;
    }
    if (error instanceof ServiceUnreachable && error.serviceCode === STORAGE_FULL_CODE) {
      // The service is there and says why (once per episode: serviceStorageFull.ts).
      this.#storageFull.refused(during, error.message);
      return true;
    }
    if (error instanceof ServiceUnreachable) {
      if (this.#connected) this.log.warn({ during, err: error.message }, 'service unreachable; retrying with backoff');
      else this.log.debug({ during, err: error.message }, 'service still unreachable');
      this.#connected = false;
      return true;
    }
    if (error instanceof ServiceRejected) {
      // A 4xx other than the credential means this agent sent what the service does not accept:
      // a bug, not an outage. Retrying cannot fix it, but stopping would strand held tasks, so say it loudly.
      this.log.error(
        { during, status: error.status, code: error.serviceCode, reason: error.message },
        `BUG: the service refused the ${during} request (${error.status} ${error.serviceCode}); retrying with backoff, which will not help until the endpoint or service is fixed: ${error.message}`,
      );
      return true;
    }
    this.log.error({ during, err: asError(error) }, 'service call failed');
    return true;
  }

  /**
   * The retry step after a failed call made `during`: logs it (failed()), then waits the loop's
   * next backoff step or until `signal` aborts. False when the loop must end instead.
   */
  async retryLater(error: unknown, during: string, backoff: Backoff, signal: AbortSignal): Promise<boolean> {
    if (!this.failed(error, during)) return false;
    await backoff.wait(error, signal);
    return true;
  }
}
