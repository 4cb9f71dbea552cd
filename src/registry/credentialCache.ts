/**
 * Endpoint credentials, looked up at most once per CREDENTIAL_CACHE_MS per
 * service instance: an idle fleet's agents call every few seconds (a poll, a
 * heartbeat), and each call used to cost a query. The bound is the promise:
 * a credential revoked (or its endpoint deleted) through another replica is
 * refused by this one within CREDENTIAL_CACHE_MS; through this process, at
 * once (forgetEndpointCredentials). docs/security.md says so.
 *
 * Unknown credentials are not cached: a refusal always asks the database, so
 * a newly issued credential works at once, and guessing cannot fill the cache.
 */
import { onePerDatabase } from '../util/perDatabase.js';
import type { EndpointPrincipal } from '../auth/principal.js';

/** The revocation delay across replicas. Keep it at or under 5 s (the documented bound). */
export const CREDENTIAL_CACHE_MS = 5_000;
/** Entries per service instance; past it the oldest go first (a Map keeps insertion order). */
export const CREDENTIAL_CACHE_ENTRIES = 20_000;

interface Entry { principal: EndpointPrincipal; expires: number }

class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  get(hash: string, nowMs: number): EndpointPrincipal | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expires <= nowMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.principal;
  }

  set(hash: string, principal: EndpointPrincipal, nowMs: number): void {
    this.entries.delete(hash);
    this.entries.set(hash, { principal, expires: nowMs + CREDENTIAL_CACHE_MS });
    while (this.entries.size > CREDENTIAL_CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(endpointIds: ReadonlySet<string>): void {
    for (const [hash, entry] of this.entries) {
      if (endpointIds.has(entry.principal.endpointId) || (entry.principal.userEndpointOf && endpointIds.has(entry.principal.userEndpointOf.parentId))) this.entries.delete(hash);
    }
  }
}

/** Every cache of this process, so a revocation here (in a transaction, whose handle is not the service's) reaches them all. */
const live = new Set<WeakRef<CredentialCache>>();

/** One cache per database handle, i.e. per service instance (two services in one process keep their own). */
export const credentialCacheOf = onePerDatabase(() => {
  const cache = new CredentialCache();
  live.add(new WeakRef(cache));
  return cache;
});

/** This process stops trusting these endpoints' cached credentials now (revoked, rotated, deleted here). */
export function forgetEndpointCredentials(endpointIds: Iterable<string>): void {
  const ids = new Set(endpointIds);
  if (ids.size === 0) return;
  for (const ref of live) {
    const cache = ref.deref();
    if (cache) cache.forget(ids);
    else live.delete(ref);
  }
}
