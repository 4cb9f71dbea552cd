/**
 * Introspection answers, kept briefly by token hash (never the token itself):
 * at most the configured TTL (≤ 30 s) and never past the token's exp. Only
 * acceptances are kept; a refused token is asked about again. Bounded in size,
 * oldest entry out first. Per replica, which is fine: it only saves calls.
 */
import { hashSecret } from '../secrets.js';
import type { UserPrincipal } from '../principal.js';

const MAX_ENTRIES = 10_000;

interface Entry {
  principal: UserPrincipal;
  untilMs: number;
}

export class IntrospectionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<UserPrincipal>>();

  constructor(private readonly ttlMs: number) {}

  /** The cached principal, or the answer of one shared call to `introspect` for concurrent askers. */
  async lookup(token: string, introspect: () => Promise<{ principal: UserPrincipal; expMs?: number }>): Promise<UserPrincipal> {
    const key = hashSecret(token);
    const hit = this.entries.get(key);
    if (hit && hit.untilMs > Date.now()) return hit.principal;
    if (hit) this.entries.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const asked = introspect()
      .then(({ principal, expMs }) => {
        const untilMs = Math.min(Date.now() + this.ttlMs, expMs ?? Infinity);
        if (untilMs > Date.now()) this.remember(key, { principal, untilMs });
        return principal;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, asked);
    return asked;
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    while (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
  }
}
