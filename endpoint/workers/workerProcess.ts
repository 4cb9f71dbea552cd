/**
 * One long-lived worker process (python3 or node) speaking the line protocol
 * of protocol.ts on its fds 3 and 4. It runs one request at a time. Its
 * stdout/stderr (the user's prints) go to the log at debug, tagged with the
 * task that was running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../logger.js';
import { describeExit, killGroup } from './processGroup.js';
import type { ReplyMessage, WorkerMessage, WorkerRequest } from './protocol.js';

export interface WorkerProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /**
   * fds (default): requests on fd 3, replies on fd 4, stdout/stderr the user's.
   * stdio: requests on stdin, replies on stdout, the user's prints on stderr
   * (a containerized worker: engines pass only the standard streams).
   */
  transport?: 'fds' | 'stdio';
  /** Run once the process is gone or killed: ends what the process itself leaves behind (a container). */
  cleanup?: () => Promise<void>;
}

export interface WorkerExit {
  /** "code 1", "signal SIGKILL", or why the process never started. */
  description: string;
  /** The process never ran (e.g. the interpreter is missing). */
  spawnError?: Error;
}

/** The worker died (or never started) before answering. */
export class WorkerExited extends Error {
  constructor(readonly exit: WorkerExit, readonly beforeReady: boolean) {
    super(`worker process exited with ${exit.description}`);
  }
}

/** How much of a worker's stderr is kept to explain why it died. */
const STDERR_TAIL_CHARS = 2000;
/** Longest user output line logged as is. */
const LOG_LINE_CHARS = 8192;
/** After the worker exits, how long its pipes may stay open (held by escaped grandchildren). */
const PIPE_CLOSE_GRACE_MS = 1000;

export class WorkerProcess {
  readonly pid: number | undefined;
  /** Function keys this worker has compiled (the pool prefers a warm worker). */
  readonly warm = new Set<string>();
  /** Resolves when the worker said it is ready; rejects with WorkerExited if it died first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcess;
  private readonly log: Logger;
  private pending: { taskId: string; resolve: (reply: ReplyMessage) => void; reject: (error: Error) => void; onOutput?: (text: string) => void } | undefined;
  private exit: WorkerExit | undefined;
  private stderrTail = '';
  private readySeen = false;
  private readonly requests: Writable;
  private readonly cleanup: (() => Promise<void>) | undefined;
  /** terminate() ran: the group's SIGKILL waits for its grace. */
  private terminating = false;

  constructor(options: WorkerProcessOptions) {
    const stdio = options.transport === 'stdio';
    this.cleanup = options.cleanup;
    this.child = spawn(options.command, options.args, {
      stdio: stdio ? ['pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: options.env,
      detached: true, // its own process group, so a kill also ends the user's subprocesses
    });
    this.pid = this.child.pid;
    this.log = options.log.child({ workerPid: this.pid });
    this.requests = (stdio ? this.child.stdin : this.child.stdio[3]) as Writable;
    this.requests.on('error', () => {}); // writing to a dead worker: its exit reports that
    if (!stdio) this.logOutput(this.child.stdout!, 'stdout');
    this.logOutput(this.child.stderr!, 'stderr');

    let onReady!: () => void;
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      void this.whenExited().then((exit) => reject(new WorkerExited(exit, true)));
    });
    this.ready.catch(() => {}); // callers that never waited for it must not see an unhandled rejection

    createInterface({ input: (stdio ? this.child.stdout : this.child.stdio[4]) as Readable }).on('line', (line) => this.onMessage(line, onReady));
    this.exited = this.whenExited();
  }

  /** It said it is ready (ready has resolved). */
  get isReady(): boolean {
    return this.readySeen;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends one request; resolves with its reply, rejects with WorkerExited if the worker dies first. */
  async call(request: WorkerRequest, onOutput?: (text: string) => void): Promise<ReplyMessage> {
    if (!this.readySeen) await this.ready;
    if (this.exit) throw new WorkerExited(this.exit, false);
    if (this.pending) throw new Error('worker is already running a task'); // a pool bug, never the user's
    return new Promise((resolve, reject) => {
      this.pending = { taskId: request.task_id, resolve, reject, onOutput };
      this.requests.write(JSON.stringify(request) + '\n');
    });
  }

  /** Kills the worker and anything it started; resolves once it has exited. */
  async kill(): Promise<WorkerExit> {
    if (this.alive) killGroup(this.pid);
    const exit = await this.exited;
    await this.cleanedUp;
    return exit;
  }

  /** A cancel: SIGTERM to its group, SIGKILL after `graceMs`; resolves once it has exited (and been cleaned up). */
  async terminate(graceMs: number): Promise<WorkerExit> {
    if (this.alive) {
      this.terminating = true;
      killGroup(this.pid, { graceMs });
    }
    const exit = await this.exited;
    await this.cleanedUp;
    return exit;
  }

  /** Settles once the cleanup (if any) has run after the exit. */
  private cleanedUp: Promise<void> = Promise.resolve();

  /** Last lines the worker wrote to stderr (why it died, for logs and start failures). */
  get lastStderr(): string {
    return this.stderrTail;
  }

  private onMessage(line: string, onReady: () => void): void {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      this.log.error({ line: line.slice(0, 200) }, 'worker sent a line that is not JSON; killing it');
      killGroup(this.pid);
      return;
    }
    if (message.type === 'ready') {
      this.readySeen = true;
      onReady();
      return;
    }
    if (message.type === 'output') {
      // Live output of the call under way (python_worker.py sends it before the reply, on the same pipe).
      if (this.pending?.taskId === message.task_id && typeof message.text === 'string') this.pending.onOutput?.(message.text);
      return;
    }
    const waiting = this.pending;
    this.pending = undefined;
    if (!waiting || waiting.taskId !== message.task_id) {
      if (this.exit) return; // a straggler from a worker already given up on
      this.log.error({ taskId: message.task_id }, 'worker replied for a task it was not given; killing it');
      killGroup(this.pid);
      return;
    }
    waiting.resolve(message);
  }

  private logOutput(stream: Readable, name: 'stdout' | 'stderr'): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      if (name === 'stderr') this.stderrTail = (this.stderrTail + line + '\n').slice(-STDERR_TAIL_CHARS);
      const text = line.length > LOG_LINE_CHARS ? line.slice(0, LOG_LINE_CHARS) + ' [cut]' : line;
      this.log.debug({ stream: name, taskId: this.pending?.taskId }, text);
    });
  }

  private exitPromise: Promise<WorkerExit> | undefined;

  /** Settles once the process is gone and its pipes are drained (or given up on). */
  private whenExited(): Promise<WorkerExit> {
    this.exitPromise ??= new Promise<WorkerExit>((resolve) => {
      const finish = (exit: WorkerExit) => {
        if (this.exit) return;
        this.exit = exit;
        // Whatever the worker started dies with it (a no-op when the group is already gone);
        // a cancel's SIGKILL comes after its grace instead (terminate()).
        if (!this.terminating) killGroup(this.pid);
        if (this.cleanup) this.cleanedUp = this.cleanup();
        // Let the last lines arrive (a reply sent just before dying, the stderr that explains a
        // crash), but never wait long on pipes held open by a grandchild that escaped the group.
        let settled = false;
        const settle = () => {
          if (settled) return;
          settled = true;
          clearTimeout(grace);
          this.destroyPipes();
          const waiting = this.pending;
          this.pending = undefined;
          waiting?.reject(new WorkerExited(exit, false));
          resolve(exit);
        };
        const grace = setTimeout(settle, PIPE_CLOSE_GRACE_MS);
        this.child.once('close', settle);
        if (exit.spawnError) settle();
      };
      this.child.once('exit', (code, signal) => finish({ description: describeExit(code, signal) }));
      this.child.once('error', (error) => {
        // Only a failed spawn means the process is gone; other errors (e.g. kill failures) are not exits.
        if (this.child.pid === undefined) finish({ description: `an error: ${error.message}`, spawnError: error });
        else this.log.warn({ err: error }, 'worker process error');
      });
    });
    return this.exitPromise;
  }

  private destroyPipes(): void {
    for (const stream of this.child.stdio) stream?.destroy();
  }
}
