/**
 * What the agent and a worker manager say to each other: one JSON object per
 * line over TCP. The manager speaks first (hello, with the endpoint's secret);
 * the agent answers welcome or refused. Both sides heartbeat; either side
 * treats a closed connection or a silence longer than the timeout as the
 * other being gone.
 */
import type { Socket } from 'node:net';
import type { TaskOutcome, TaskToRun } from '../execution.js';

export type ManagerMessage =
  | { type: 'hello'; secret: string; block_id: string; manager_id: string; hostname: string; pid: number; slots: number }
  | { type: 'heartbeat'; running: number }
  | { type: 'result'; task_id: string; attempt: number; outcome: TaskOutcome };

export type AgentMessage =
  | { type: 'welcome'; heartbeat_ms: number; timeout_ms: number }
  | { type: 'refused'; reason: string }
  | { type: 'heartbeat' }
  | { type: 'task'; task: TaskToRun }
  | { type: 'cancel'; task_id: string; attempt: number }
  | { type: 'shutdown'; reason: string };

/** Longest line accepted: a task's payload or result can be large, but not unbounded. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** Newline-framed JSON on a socket. */
export class LineChannel<In, Out> {
  private buffered = '';

  constructor(
    readonly socket: Socket,
    onMessage: (message: In) => void,
    onBadLine: (why: string) => void,
  ) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        if (!line.trim()) continue;
        let message: In;
        try {
          message = JSON.parse(line) as In;
        } catch {
          onBadLine('a line that is not JSON');
          return;
        }
        onMessage(message);
      }
      if (this.buffered.length > MAX_LINE_BYTES) onBadLine('a line longer than the limit');
    });
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
