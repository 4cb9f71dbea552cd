/**
 * `funcx task wait`'s progress: a bar redrawn in place on a terminal, or one
 * plain line per finished task otherwise (logs, pipes, CI), so scripts can
 * follow along. The bar goes to stderr; results are printed by the caller.
 */
import type { CliIo } from './io.js';

export interface Progress {
  /** A task finished; `line` describes it (used for plain output). */
  finished(line: string): void;
  /** Erases the bar (before the summary is printed). */
  end(): void;
}

export function createProgress(io: CliIo, total: number, options: { json: boolean }): Progress {
  if (io.stderr.isTTY) return new ProgressBar(io, total);
  return {
    // --json keeps stdout for the one JSON answer; the lines then go to stderr.
    finished: (line) => (options.json ? io.stderr : io.stdout).write(line + '\n'),
    end: () => {},
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
