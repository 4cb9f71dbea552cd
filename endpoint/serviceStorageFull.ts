/**
 * The service answers 507 StorageFull while its database has no room to write (it logs that
 * once; src/db/storageMonitor.ts). The agent keeps what it would have sent (results in its
 * outbox and spool, leases held) and retries with backoff, as for any 5xx; this says so once
 * per episode, at warn when the first call is refused, and once at info when every kind of
 * call that was refused (results, lease, heartbeat, ...) has been accepted again. A call that
 * writes nothing may pass meanwhile (a lease poll that finds no task): that alone does not end it.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '@funcx-ts/shared/errors.js';

export const STORAGE_FULL_CODE = ErrorCode.StorageFull;

export class ServiceStorageFull {
  /** The kinds of call refused since the episode began and not accepted since. */
  private readonly refusing = new Set<string>();

  constructor(private readonly log: Logger) {}

  get active(): boolean {
    return this.refusing.size > 0;
  }

  refused(during: string, reason: string): void {
    if (this.refusing.size === 0) {
      this.log.warn({ during, reason }, 'the service has no room to store (507 StorageFull); keeping results and leases and retrying with backoff until it has');
    }
    this.refusing.add(during);
  }

  accepted(during: string): void {
    if (!this.refusing.delete(during) || this.refusing.size > 0) return;
    this.log.info({ during }, 'the service stores again (507 StorageFull is over)');
  }
}
