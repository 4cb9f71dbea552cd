/**
 * The endpoint's audit log (`audit_log_path`): one line per task event, in
 * Globus Compute's shape,
 *
 *   2026-12-06T15:40:00.123Z uid=1000 pid=4242 uep=<endpoint> fid=<function> tid=<task> bid=- RECEIVED
 *
 * with the states RECEIVED (leased), EXEC_START, EXEC_END and FAILED (the
 * endpoint refused to run it: a function it does not allow, a runtime it
 * lacks). The file is created 0600 and only appended to; each line goes to
 * the kernel with its own write (no buffer in this process), so a crash
 * loses no line already recorded.
 *
 * A log that cannot be written (a full disk, a removed mount, a file over its
 * size limit) must not let tasks run unaudited: a failed write keeps the line
 * in a small backlog, `writable` turns false and the agent stops leasing,
 * hands back its queued tasks and reports itself failed (`failure`). The log
 * retries the backlog every RETRY_MS; once it is written (in order, a line
 * cut short by ENOSPC completed from where it stopped) the log is writable
 * again and the agent resumes.
 *
 * On a multi-user endpoint the file is root's: the multi-user endpoint opens it and hands
 * each per-user endpoint the descriptor (FUNCX_AUDIT_LOG_FD) before the
 * launcher drops privileges, so the user's process writes its own lines
 * (stamped with its uid) without being able to open the file itself.
 */
import { closeSync, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger.js';

export type AuditState = 'RECEIVED' | 'EXEC_START' | 'EXEC_END' | 'FAILED';

export interface AuditEvent {
  taskId: string;
  functionId: string;
  /** The block the task runs in, when it runs in one. */
  blockId?: string;
}

/** The config check of `audit_log_path` (null: no audit log). */
export function auditLogPathProblem(file: string | null): string | undefined {
  if (file && !path.isAbsolute(file)) return `audit_log_path: ${file} is not an absolute path`;
  return undefined;
}

/** The environment variable naming an inherited descriptor of the audit log (multi-user endpoints). */
export const AUDIT_LOG_FD_ENV = 'FUNCX_AUDIT_LOG_FD';
/** How often an unwritable log is tried again. */
const RETRY_MS = 1_000;
/** Lines kept while the log cannot be written (the agent leases nothing meanwhile, so few arrive). */
const MAX_BACKLOG = 100_000;

/** An append-only descriptor of the audit file, created 0600 (an existing wider one is narrowed). */
export function openAuditFile(path: string): number {
  const fd = openSync(path, 'a', 0o600);
  if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  return fd;
}

export class AuditLog {
  private readonly backlog: Buffer[] = [];
  /** Bytes of backlog[0] already written (a write cut short by a full disk). */
  private writtenOfFirst = 0;
  private failure: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private readonly listeners: ((writable: boolean) => void)[] = [];

  private constructor(
    private readonly fd: number,
    private readonly where: string,
    private readonly endpointId: string,
    private readonly log: Logger,
  ) {}

  /** Opens (or creates, 0600) the log at `path`; throws when it cannot be opened (a start-up error). */
  static open(path: string, endpointId: string, log: Logger): AuditLog {
    return new AuditLog(openAuditFile(path), path, endpointId, log);
  }

  /** The log from a descriptor opened by the multi-user endpoint, if it handed one (FUNCX_AUDIT_LOG_FD). */
  static inherited(env: NodeJS.ProcessEnv, endpointId: string, log: Logger): AuditLog | undefined {
    const raw = env[AUDIT_LOG_FD_ENV];
    if (!raw) return undefined;
    const fd = Number(raw);
    if (!Number.isInteger(fd) || fd < 3) throw new Error(`${AUDIT_LOG_FD_ENV}=${raw} is not an inherited descriptor`);
    fstatSync(fd); // throws (EBADF) when nothing was handed down
    return new AuditLog(fd, `descriptor ${fd}`, endpointId, log);
  }

  /** False while lines cannot be written: lease nothing, start nothing. */
  get writable(): boolean {
    return this.failure === undefined;
  }

  /** Why the log is unwritable, for the endpoint's status (undefined while it is writable). */
  get failureReason(): string | undefined {
    return this.failure === undefined ? undefined : `audit log unwritable: ${this.failure}`;
  }

  /** Told when the log turns unwritable (false) and writable again (true). */
  onChange(listener: (writable: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Records one event; false when it could not be written now (it is kept and written once the log works again). */
  record(state: AuditState, event: AuditEvent): boolean {
    const line = `${new Date().toISOString()} uid=${process.getuid?.() ?? -1} pid=${process.pid} uep=${this.endpointId} fid=${event.functionId} tid=${event.taskId} bid=${event.blockId ?? '-'} ${state}\n`;
    if (this.backlog.length >= MAX_BACKLOG) {
      this.log.error({ taskId: event.taskId, state }, 'audit log backlog full; this line is lost');
      return false;
    }
    this.backlog.push(Buffer.from(line, 'utf8'));
    // While unwritable only the retry timer writes, so lines stay in order.
    return this.writable && this.flush();
  }

  /** Resolves once the log is writable (at once if it is), or when the signal aborts. */
  whenWritable(signal: AbortSignal): Promise<void> {
    if (this.writable || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.flush();
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /** Writes the backlog in order; false (and unwritable) at the first failure. */
  private flush(): boolean {
    try {
      while (this.backlog.length > 0) {
        const line = this.backlog[0];
        while (this.writtenOfFirst < line.length) this.writtenOfFirst += writeSync(this.fd, line, this.writtenOfFirst);
        this.backlog.shift();
        this.writtenOfFirst = 0;
      }
    } catch (error) {
      this.failed(error as NodeJS.ErrnoException);
      return false;
    }
    if (this.failure !== undefined) this.recovered();
    return true;
  }

  private failed(error: NodeJS.ErrnoException): void {
    const first = this.failure === undefined;
    this.failure = error.code ?? error.message;
    if (first) {
      this.log.error({ auditLog: this.where, err: error, backlog: this.backlog.length },
        'audit log unwritable: leasing stopped and queued tasks handed back until it can be written again');
      for (const listener of this.listeners) listener(false);
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.flush(), RETRY_MS);
    this.retryTimer.unref();
  }

  private recovered(): void {
    this.failure = undefined;
    this.log.warn({ auditLog: this.where }, 'audit log writable again: leasing resumed');
    for (const listener of this.listeners) listener(true);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
