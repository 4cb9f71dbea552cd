/**
 * Credentials an instance has accepted, remembered so that they cost no credential query: an idle
 * fleet's endpoint calls (a poll every 50 s, a heartbeat now and then) and a user's requests (a
 * round trip is a submit and a wait, each of which looked its API token up before). The promise is
 * the revocation bound: a credential revoked, rotated or whose endpoint was deleted through any
 * replica or the CLI is refused by every replica within CREDENTIAL_CHECK_MS; through this process,
 * at once. docs/security.md says so.
 *
 * How: a cached credential is used only once this instance has read the revocation feed
 * (credentialRevocations.ts) within the last CREDENTIAL_CHECK_MS, one read per instance and
 * cache (endpoint credentials, API tokens) for all its callers, and each read forgets the owners
 * it names (an endpoint's id, or an API token's id). An entry is also dropped after
 * CREDENTIAL_CACHE_MAX_MS whatever the feed says, so a change made to the database by hand (not
 * through the API or the CLI, which write the feed) still takes effect within that; and at its
 * own end of life, if sooner (a token's expiry).
 *
 * Unknown credentials are not cached: a refusal always asks the database, so a newly issued
 * credential works at once, and guessing cannot fill the cache.
 */
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { onePerDatabase } from '../util/perDatabase.js';
import type { EndpointPrincipal, UserPrincipal } from '../auth/principal.js';
import { COMMIT_MARGIN_MS, credentialsRevokedWithin, REVOCATION_KEEP_MS, writeCredentialRevocations } from './credentialRevocations.js';

/** The revocation delay across replicas. Keep it at or under 5 s (the documented bound). */
export const CREDENTIAL_CHECK_MS = 5_000;
/** The longest a credential is trusted without being looked up again (changes made outside the API). */
export const CREDENTIAL_CACHE_MAX_MS = 10 * 60_000;
/** Entries per service instance; past it the oldest go first (a Map keeps insertion order). */
export const CREDENTIAL_CACHE_ENTRIES = 20_000;

interface Entry<P> {
  principal: P;
  /** The ids whose revocation ends this credential (the feed names them). */
  owners: readonly string[];
  expires: number;
}

/** How long an entry may live, and who may end it. */
export interface CacheTerms {
  /** Feed ids that end the credential: endpoint ids, or an API token's id (both random UUIDs, never the same). */
  owners: readonly string[];
  /** The monotonic time (performance.now()) at which the credential ends by itself, if it does (a token's expiry). */
  endsAt?: number;
}

/**
 * Times here are the monotonic clock's (performance.now()): a wall clock set back would
 * otherwise stretch the bound by as much.
 */
class CredentialCache<P> {
  private readonly entries = new Map<string, Entry<P>>();
  /** When the last completed read of the revocation feed started. */
  private checkedFrom = performance.now();
  private checking: Promise<void> | undefined;

  constructor(private readonly db: Knex) {}

  /** The cached principal, once the feed has been read within CREDENTIAL_CHECK_MS before this call. */
  async get(hash: string): Promise<P | undefined> {
    if (!this.entries.has(hash)) return undefined;
    const askedAt = performance.now();
    // A read that started more than CREDENTIAL_CHECK_MS before this call does not cover the bound: read again.
    while (askedAt - this.checkedFrom > CREDENTIAL_CHECK_MS) await this.check();
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expires <= askedAt) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.principal;
  }

  set(hash: string, principal: P, terms: CacheTerms): void {
    this.entries.delete(hash);
    const expires = Math.min(performance.now() + CREDENTIAL_CACHE_MAX_MS, terms.endsAt ?? Infinity);
    this.entries.set(hash, { principal, owners: terms.owners, expires });
    while (this.entries.size > CREDENTIAL_CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  forget(ownerIds: ReadonlySet<string>): void {
    for (const [hash, entry] of this.entries) {
      if (entry.owners.some((owner) => ownerIds.has(owner))) this.entries.delete(hash);
    }
  }

  /** One read of the feed at a time; every caller waiting on the bound shares it. */
  private check(): Promise<void> {
    this.checking ??= this.readFeed().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async readFeed(): Promise<void> {
    const started = performance.now();
    // Since the previous read, plus the margin for rows that committed late.
    const windowMs = started - this.checkedFrom + COMMIT_MARGIN_MS;
    if (windowMs >= REVOCATION_KEEP_MS) this.entries.clear(); // the rows that far back are pruned
    else this.forget(new Set(await credentialsRevokedWithin(this.db, windowMs)));
    this.checkedFrom = Math.max(this.checkedFrom, started);
  }
}

/** Every cache of this process, so a revocation here (in a transaction, whose handle is not the service's) reaches them all. */
const live = new Set<WeakRef<CredentialCache<unknown>>>();

function liveCache<P>(db: Knex): CredentialCache<P> {
  const cache = new CredentialCache<P>(db);
  live.add(new WeakRef(cache as CredentialCache<unknown>));
  return cache;
}

/** Endpoint credentials: one cache per database handle, i.e. per service instance (two services in one process keep their own). */
export const credentialCacheOf = onePerDatabase((db) => liveCache<EndpointPrincipal>(db));

/** Local API tokens (src/registry/tokens.ts), the same way. */
export const userTokenCacheOf = onePerDatabase((db) => liveCache<UserPrincipal>(db));

/**
 * Ends the credentials these ids own everywhere: the feed rows in the caller's transaction (with
 * the change itself), and this process's caches at once. The ids are endpoints' (their
 * credentials) or API tokens'.
 */
export async function revokeCredentials(trx: Knex, ownerIds: readonly string[]): Promise<void> {
  if (ownerIds.length === 0) return;
  await writeCredentialRevocations(trx, ownerIds);
  const ids = new Set(ownerIds);
  for (const ref of live) {
    const cache = ref.deref();
    if (cache) cache.forget(ids);
    else live.delete(ref);
  }
}
