/**
 * Log lines gathered for a moment, then written together: one write for every line of the
 * last BATCH_DELAY_MS (or of BATCH_MAX_BYTES, whichever comes first).
 *
 * Why: the service's stdout is written asynchronously (a synchronous write would block the event
 * loop on a full pipe), and node sends each asynchronous write through its thread pool, which
 * costs about 40 µs of CPU here, against 2 µs for the write itself; with a line per request, that
 * was a tenth of a small request's cost (docs/benchmarks.md). The price: a kill -9 loses up to
 * BATCH_DELAY_MS of lines besides any write in flight. Every ordinary exit writes them: the end
 * of the event loop ('beforeExit': pino's stream then ends after its last write) and
 * `process.exit` ('exit', synchronously).
 */
import type { DestinationStream } from 'pino';

export const BATCH_DELAY_MS = 20;
/** Counted in string length (UTF-16 units): bytes for the ASCII of most log lines, fewer than the bytes otherwise. */
export const BATCH_MAX_BYTES = 64 * 1024;

/** What the lines go to: pino's own stdout stream (SonicBoom) in the service. */
export interface LineSink {
  write(data: string): unknown;
  flush?(callback?: (error?: Error | null) => void): void;
  flushSync?(): void;
}

/** Batches holding unwritten lines; the process's exit writes these (one pair of listeners for them all). */
const holding = new Set<LogLineBatch>();
let listening = false;

function listenForExit(): void {
  if (listening) return;
  listening = true;
  process.on('beforeExit', () => { for (const batch of [...holding]) batch.flush(); });
  process.on('exit', () => { for (const batch of [...holding]) batch.writeOutSync(); });
}

export class LogLineBatch implements DestinationStream {
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sink: LineSink, private readonly delayMs = BATCH_DELAY_MS, private readonly maxBytes = BATCH_MAX_BYTES) {
    listenForExit();
  }

  write(line: string): void {
    if (this.lines.length === 0) holding.add(this);
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= this.maxBytes) this.writeOut();
    // Unref'd: a pending batch never keeps the process alive; the exit writes it.
    else this.timer ??= setTimeout(() => this.writeOut(), this.delayMs).unref();
  }

  /** pino's logger.flush(): the gathered lines go to the sink now, then the sink's own flush. */
  flush(callback?: (error?: Error | null) => void): void {
    this.writeOut();
    if (this.sink.flush) this.sink.flush(callback);
    else callback?.();
  }

  /** At exit nothing asynchronous runs any more: hand the lines over and have the sink write synchronously. */
  writeOutSync(): void {
    try {
      this.writeOut();
      this.sink.flushSync?.();
    } catch {
      // A sink that cannot write now (a full disk, a closed stdout) has nowhere to report it at exit.
    }
  }

  private writeOut(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    holding.delete(this);
    this.sink.write(text);
  }
}
