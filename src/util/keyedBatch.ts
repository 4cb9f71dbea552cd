/**
 * Writes that may wait a moment, gathered by key and written together: the first one added
 * starts a batch of `delayMs`, the ones added meanwhile join it (a later value for the same key
 * replaces the earlier one), and `write` gets them all at once, up to `chunk` per call. Each
 * add() settles when its batch is written (or when drop() takes its key out first), so a caller
 * still answers only once what it asked for is stored.
 */
export class KeyedBatch<V> {
  private pending = new Map<string, { value: V; waiters: { resolve: () => void; reject: (error: unknown) => void }[] }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (entries: [string, V][]) => Promise<void>, private readonly chunk: number) {}

  add(key: string, value: V, delayMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(key) ?? { value, waiters: [] };
      entry.value = value;
      entry.waiters.push({ resolve, reject });
      this.pending.set(key, entry);
      this.timer ??= setTimeout(() => void this.flush(), delayMs);
    });
  }

  /** Takes `key` out of the pending batch (what is written instead supersedes it); its callers settle now. */
  drop(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    for (const waiter of entry.waiters) waiter.resolve();
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending = new Map();
    for (let start = 0; start < batch.length; start += this.chunk) {
      const part = batch.slice(start, start + this.chunk);
      try {
        await this.write(part.map(([key, entry]) => [key, entry.value]));
        for (const [, entry] of part) for (const waiter of entry.waiters) waiter.resolve();
      } catch (error) {
        for (const [, entry] of part) for (const waiter of entry.waiters) waiter.reject(error);
      }
    }
  }
}
