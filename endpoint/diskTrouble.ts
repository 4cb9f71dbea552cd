/**
 * A local write (the result spool, the session file) that fails for lack of space or a
 * read-only disk is not a reason to stop the agent: what it would have written stays in
 * memory and the write is tried again later. This logs such an episode once at error, not
 * once per failed write, and once at info when a write of that kind passes again.
 */
import type { Logger } from 'pino';

export class DiskTrouble {
  private failing = false;

  constructor(private readonly log: Logger, private readonly what: string) {}

  failed(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const code = (error as NodeJS.ErrnoException | null)?.code;
    this.log.error({ err: error instanceof Error ? error : new Error(String(error)), code, what: this.what }, `cannot write ${this.what}; kept in memory and retried (a full disk?)`);
  }

  passed(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info({ what: this.what }, `${this.what} written again`);
  }
}
