/**
 * A time-bound claim in a test: `within(ms, what, work)` settles as `work`
 * does, or fails naming `what` once `ms` have passed. Use it where a title
 * promises something happens "at once", "before the lease runs out" or
 * "never hangs": the bound is the claim, so it must be well under the time
 * the broken behaviour would take (a lease, a TTL), never equal to it.
 */
export class NotWithin extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what}: not within ${ms} ms`);
  }
}

export async function within<T>(ms: number, what: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  const promise = typeof work === 'function' ? work() : work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new NotWithin(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` until it returns a value other than undefined/false, failing
 * after `ms` with `what`. For conditions no event announces (a row changing in
 * the database); the interval is short so the bound, not the polling, decides.
 */
export async function eventually<T>(ms: number, what: string, check: () => Promise<T | undefined | false> | T | undefined | false, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new NotWithin(what, ms);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
