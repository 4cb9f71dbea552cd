/**
 * The contract between the agent (blockExecutor.ts and its parts) and a block's
 * worker manager (workerManager.ts, a separate program on a compute node); both
 * sides import it and nothing else of each other.
 *
 * The manager is started with the path of its block config (ManagerConfig,
 * written 0600 by blockPool.ts). It then talks to the agent in one JSON object
 * per line over TCP: the manager speaks first (hello, with the endpoint's
 * secret); the agent answers welcome or refused. Both sides heartbeat; either
 * side treats a closed connection or a silence longer than the timeout as the
 * other being gone.
 */
import type { Socket } from 'node:net';
import type { TaskOutcome, TaskToRun } from '../execution.js';
import type { MpiSettings } from '../mpi/launcher.js';
import type { ContainerSettings } from '../containers/settings.js';

/** What a manager needs to know, written per block to a 0600 file it is given the path of. */
export interface ManagerConfig {
  address: string;
  port: number;
  secret_file: string;
  block_id: string;
  slots: number;
  python: string;
  serializers: string[];
  shell_output_cap: number;
  /** keep_shell_sandboxes (absent in configs of older agents: removed). */
  keep_shell_sandboxes?: boolean;
  /** worker_idle_timeout in ms (absent in configs of older agents: the default). */
  worker_idle_ms?: number;
  work_dir: string;
  log_level: string;
  /** MPI tasks: the launcher, and the nodes the block should have (the manager reads them from the job). */
  mpi?: MpiSettings | null;
  nodes_per_block?: number;
  /** Workers run in containers of this engine on the nodes (absent: on the host). */
  container?: ContainerSettings | null;
}

export type ManagerHello = { type: 'hello'; secret: string; block_id: string; manager_id: string; hostname: string; pid: number; slots: number };

export type ManagerMessage =
  | ManagerHello
  | { type: 'heartbeat'; running: number }
  | { type: 'result'; task_id: string; attempt: number; outcome: TaskOutcome };

export type AgentMessage =
  | { type: 'welcome'; heartbeat_ms: number; timeout_ms: number }
  | { type: 'refused'; reason: string }
  | { type: 'heartbeat' }
  | { type: 'task'; task: TaskToRun }
  | { type: 'cancel'; task_id: string; attempt: number }
  | { type: 'shutdown'; reason: string };

/** Longest line accepted from a peer we trust: a task's payload or result can be large, but not unbounded. */
export const MAX_LINE_CHARS = 256 * 1024 * 1024;
/** Longest line accepted before the peer has authenticated: a hello is small. */
export const UNAUTHENTICATED_LINE_CHARS = 64 * 1024;

export interface LineChannelOptions {
  /** Longest line accepted until allowLongLines() (default MAX_LINE_CHARS). */
  maxLineChars?: number;
}

/**
 * Newline-framed JSON on a socket. Partial lines are kept as a list of chunks and
 * only each new chunk is searched for a newline, so a long line costs linear time.
 */
export class LineChannel<In, Out> {
  private partial: string[] = [];
  private partialChars = 0;
  private maxLineChars: number;
  private broken = false;

  constructor(
    readonly socket: Socket,
    onMessage: (message: In) => void,
    onBadLine: (why: string) => void,
    options: LineChannelOptions = {},
  ) {
    this.maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    const bad = (why: string) => {
      this.broken = true;
      this.partial = [];
      this.partialChars = 0;
      onBadLine(why);
    };
    socket.on('data', (chunk: string) => {
      if (this.broken) return;
      let start = 0;
      let newline: number;
      while ((newline = chunk.indexOf('\n', start)) >= 0) {
        const tail = chunk.slice(start, newline);
        start = newline + 1;
        if (this.partialChars + tail.length > this.maxLineChars) return bad('a line longer than the limit');
        const line = this.partial.length > 0 ? this.partial.join('') + tail : tail;
        this.partial = [];
        this.partialChars = 0;
        if (!line.trim()) continue;
        let message: In;
        try {
          message = JSON.parse(line) as In;
        } catch {
          return bad('a line that is not JSON');
        }
        onMessage(message); // may raise the limit (allowLongLines) for the lines after it
        if (this.broken || socket.destroyed) return;
      }
      if (start < chunk.length) {
        this.partial.push(start === 0 ? chunk : chunk.slice(start));
        this.partialChars += chunk.length - start;
        if (this.partialChars > this.maxLineChars) bad('a line longer than the limit');
      }
    });
  }

  /** The peer has authenticated: accept lines up to MAX_LINE_CHARS. */
  allowLongLines(): void {
    this.maxLineChars = MAX_LINE_CHARS;
  }

  send(message: Out): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(JSON.stringify(message) + '\n');
  }

  close(): void {
    this.socket.end();
    // A peer that does not finish closing (frozen, unreachable) is cut off.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
  }
}
