/**
 * Results waiting to be acknowledged by the service, in posting order, and
 * which of them are also on disk (the spool).
 *
 * A result goes to disk only when it cannot be posted now: the post failed,
 * the service was already known to be unreachable when it finished, or the
 * agent is stopping with it unposted. On the normal path a result is posted
 * straight from memory. Chosen by measurement (2026-11-30, this machine): an
 * atomic spool file costs ~4 ms of synchronous fsyncs per result, and even a
 * group-committed journal ~1.1 ms per fdatasync, which alone would be half of
 * a lone task's 2 ms round-trip budget; posting from memory costs nothing.
 *
 * The guarantee stays: a result not yet acknowledged is either on disk or
 * lost with the process, and a lost one's task is re-run once its lease
 * expires (the endpoint stops renewing it when it dies). The service stores
 * one result per task and refuses a stale lease token, so a result posted
 * twice (its answer lost, then spooled and posted again) is stored once.
 *
 * A spool write that fails (a full or read-only disk) loses nothing: the result stays in
 * memory, is still posted, and its write is tried again at the next makeDurable.
 */
import type { ResultSpool, SpooledResult } from './spool.js';

/** Told about every failed and every passing spool write (see diskTrouble.ts). */
export interface SpoolWatcher {
  failed(error: unknown): void;
  passed(): void;
}

export class ResultOutbox {
  private results: SpooledResult[] = [];
  /** The results (by identity) that have a spool file. */
  private readonly onDisk = new Set<SpooledResult>();

  constructor(private readonly spool: ResultSpool, private readonly watcher?: SpoolWatcher) {}

  get length(): number {
    return this.results.length;
  }

  /** The first `count` results, the next batch to post. */
  first(count: number): SpooledResult[] {
    return this.results.slice(0, count);
  }

  all(): readonly SpooledResult[] {
    return this.results;
  }

  /** A new result; `durable` writes it to the spool first (the service is known to be unreachable). */
  add(result: SpooledResult, durable: boolean): void {
    this.results.push(result);
    if (durable) this.write(result);
  }

  /** Results found in the spool at start (this version's or an older one's files): already on disk. */
  restore(results: SpooledResult[]): void {
    for (const result of results) {
      this.onDisk.add(result);
      this.results.push(result);
    }
  }

  /** Writes every result not yet on disk to the spool; returns how many were written. */
  makeDurable(): number {
    let written = 0;
    for (const result of this.results) {
      if (this.onDisk.has(result)) continue;
      if (this.write(result)) written += 1;
    }
    return written;
  }

  /** The first `count` results were answered by the service (stored or refused): forget them. */
  acknowledged(count: number): SpooledResult[] {
    const done = this.results.splice(0, count);
    for (const result of done) this.unwrite(result);
    return done;
  }

  /** Puts `replacement` where `result` was (same task and attempt), on disk too if the original was. */
  replace(result: SpooledResult, replacement: SpooledResult): void {
    const at = this.results.indexOf(result);
    if (at < 0) return;
    this.results[at] = replacement;
    if (this.onDisk.delete(result)) this.write(replacement); // the same file name: overwritten atomically
  }

  /** Forgets a result that will never be posted. */
  drop(result: SpooledResult): void {
    const at = this.results.indexOf(result);
    if (at >= 0) this.results.splice(at, 1);
    this.unwrite(result);
  }

  /** Whether the result is now on disk; a failure leaves it in memory only, to be written again later. */
  private write(result: SpooledResult): boolean {
    try {
      this.spool.write(result);
    } catch (error) {
      if (!this.watcher) throw error;
      this.watcher.failed(error);
      return false;
    }
    this.watcher?.passed();
    this.onDisk.add(result);
    return true;
  }

  private unwrite(result: SpooledResult): void {
    if (this.onDisk.delete(result)) this.spool.remove(result);
  }
}
