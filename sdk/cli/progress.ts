/**
 * `funcx task wait`'s progress: a bar redrawn in place when stderr is a
 * terminal, and one plain line per finished task when stdout is not one
 * (logs, pipes, CI), so scripts can follow along. Each stream is judged on
 * its own: `funcx task wait ... > results.txt` on a terminal shows the bar and
 * writes plain lines to the file. The caller prints the summary table only
 * when stdout is a terminal.
 */
import type { CliIo } from './io.js';

export interface Progress {
  /** A task finished; `line` describes it (used for plain output). */
  finished(line: string): void;
  /** Erases the bar (before the summary is printed). */
  end(): void;
}

/** Whether stdout gets the summary table (a terminal) rather than plain lines. */
export const stdoutIsTerminal = (io: CliIo): boolean => io.stdout.isTTY === true;

export function createProgress(io: CliIo, total: number, options: { json: boolean }): Progress {
  const bar = io.stderr.isTTY ? new ProgressBar(io, total) : undefined;
  // --json keeps stdout for the one JSON answer: the lines then go to stderr, unless the bar is there.
  const lines = options.json ? (bar ? undefined : io.stderr) : (stdoutIsTerminal(io) ? undefined : io.stdout);
  return {
    finished: (line) => {
      bar?.finished();
      lines?.write(line + '\n');
    },
    end: () => bar?.end(),
  };
}

class ProgressBar implements Progress {
  private done = 0;

  constructor(private readonly io: CliIo, private readonly total: number) {
    this.draw();
  }

  finished(): void {
    this.done += 1;
    this.draw();
  }

  end(): void {
    this.io.stderr.write('\r\x1b[2K'); // carriage return, erase the line
  }

  private draw(): void {
    const width = Math.max(10, Math.min(40, (this.io.stderr.columns ?? 80) - 30));
    const filled = Math.round((this.done / this.total) * width);
    this.io.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total} tasks done`);
  }
}
