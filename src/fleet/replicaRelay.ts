/**
 * Wake-ups across replicas. Long-polls are woken in-process (src/wakeups.ts); a submit through
 * replica A must also wake an endpoint's poll held by replica B. Every key a replica notifies
 * is announced in the shared database (`wakeup_events`: one row per burst, written once the
 * current turn of the event loop ends), and every replica reads what the others announced with
 * one query per interval, whatever the number of polls waiting on it, then wakes its own
 * waiters. The database cost is per replica and per burst, never per waiter.
 *
 * Ids are auto-increment: a row with a lower id may commit after one with a higher id was
 * read, so ids skipped over are remembered for a while and asked for again (until they appear
 * or are given up as gaps: a failed insert leaves one forever). Nothing correct depends on the
 * relay: a missed wake-up is caught by the polls' own fallback re-check.
 *
 * A replica alone on its database announces nothing: its own polls are woken in-process, and a
 * row per submit and per results post would be one more statement and commit (a redo-log
 * write) per request for no reader. Each replica says it is there with an empty row at start
 * and every PRESENCE_MS; one that has seen another origin's row within PEER_TTL_MS announces
 * its keys. The keys it did not announce in the last RECENT_MS are kept, and announced as soon
 * as a new replica shows up: a poll waiting on a replica that started a moment before the
 * others read its first row is still woken by the relay, not left to the fallback re-check.
 *
 * A replica alone also reads less: once every ALONE_READ_MS, not every interval. It has nothing
 * to read but a newcomer's presence (a newcomer that sees it announces at once), and 40 reads a
 * second were most of what a lone service on MariaDB cost while idle (docs/benchmarks.md, "Idle
 * endpoints"). So for up to ALONE_READ_MS after a second replica starts, the first one's polls
 * hear of the newcomer's submits that much later; from then on, within the interval.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from '../logger.js';
import { asError } from '../errors.js';
import { now, nowSql } from '../db/clock.js';
import type { Wakeups } from '../wakeups.js';

/** Keys per row: a results batch of 1,000 tasks is about 45 KB of JSON. */
const KEYS_PER_ROW = 1000;
/** An id skipped over this long is a gap (a failed insert), not a slow commit. */
const GAP_PATIENCE_MS = 2_000;
/** Rows older than this are deleted (by each replica, at most every PURGE_EVERY_MS). */
const KEEP_MS = 60_000;
const PURGE_EVERY_MS = 10_000;
/** Rows read per query; more are read at the next turn at once. */
const READ_LIMIT = 500;
/** Each replica's empty "I am here" row, this often; a peer silent for PEER_TTL_MS is gone. */
const PRESENCE_MS = 5_000;
const PEER_TTL_MS = 3 * PRESENCE_MS;
/** Keys not announced (no peer known) are kept this long, up to RECENT_MAX, for a peer that shows up. */
const RECENT_MS = 10_000;
const RECENT_MAX = 10_000;
/** How often a replica that knows of no other reads the table (for a newcomer's presence). */
export const ALONE_READ_MS = 1_000;

export interface ReplicaRelay {
  readonly origin: string;
  /** Queries run so far (for the bench: one per interval per replica). */
  readonly reads: number;
  /** Whether another replica was seen within PEER_TTL_MS (only then are keys announced). */
  readonly peers: boolean;
  stop(): Promise<void>;
}

export async function startReplicaRelay(deps: { db: Knex; wakeups: Wakeups; logger: Logger; intervalMs: number }): Promise<ReplicaRelay> {
  const { db, wakeups, intervalMs } = deps;
  const log = deps.logger.child({ component: 'replica-relay' });
  const origin = randomBytes(8).toString('hex');
  let pending = new Set<string>();
  let flushing: Promise<void> | undefined;
  let stopped = false;
  let reads = 0;
  /** When another origin's row was last read (local clock, ms). */
  let peerSeenMs = -Infinity;
  const peerKnown = () => Date.now() - peerSeenMs <= PEER_TTL_MS;
  /** Keys not announced for want of a peer, with when (oldest first). */
  const recent = new Map<string, number>();

  const flush = async () => {
    const keys = [...pending];
    pending = new Set();
    const rows = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_ROW) rows.push({ origin, created_at: now(db), wake_keys: JSON.stringify(keys.slice(i, i + KEYS_PER_ROW)) });
    try {
      await db('wakeup_events').insert(rows);
    } catch (error) {
      log.warn({ err: asError(error), keys: keys.length }, 'could not announce wake-ups to the other replicas (their polls will see the work at their next re-check)');
    }
  };
  const announce = (key: string) => {
    pending.add(key);
    if (pending.size === 1) {
      // Once this turn ends: a submit's notifications for all its endpoints leave in one row.
      setImmediate(() => {
        flushing = (flushing ?? Promise.resolve()).then(flush);
      });
    }
  };
  wakeups.relay = (key) => {
    if (stopped) return;
    if (peerKnown()) return announce(key);
    recent.delete(key); // re-inserted last: the Map's order is the age order
    recent.set(key, Date.now());
    if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!);
  };
  const peerSeen = () => {
    if (!peerKnown()) {
      // A replica appeared: what it may have missed since it started goes out now.
      const since = Date.now() - RECENT_MS;
      for (const [key, at] of recent) if (at >= since) announce(key);
    }
    recent.clear();
    peerSeenMs = Date.now();
  };
  const sayPresent = async () => {
    try {
      await db('wakeup_events').insert({ origin, created_at: now(db), wake_keys: '[]' });
    } catch (error) {
      log.warn({ err: asError(error) }, 'could not tell the other replicas this one is here (they learn it at its next try)');
    }
  };

  const [{ max }] = await db('wakeup_events').max({ max: 'id' });
  let lastId = Number(max ?? 0);
  // Replicas already running said so within PEER_TTL_MS (rows before lastId are not read again).
  const others = await db('wakeup_events').where('origin', '<>', origin).andWhere('created_at', '>', db.raw(`${nowSql(db)} - ?`, [PEER_TTL_MS])).first(db.raw('1 AS seen'));
  if (others) peerSeenMs = Date.now();
  await sayPresent();
  let lastPresence = Date.now();
  /** Ids below lastId not seen yet, with when they were first missed. */
  const gaps = new Map<number, number>();
  let lastPurge = 0;

  const readOnce = async (): Promise<number> => {
    reads += 1;
    const started = Date.now();
    for (const [id, since] of gaps) if (started - since > GAP_PATIENCE_MS) gaps.delete(id);
    const query = db('wakeup_events').select('id', 'origin', 'wake_keys').where('id', '>', lastId);
    if (gaps.size > 0) query.orWhereIn('id', [...gaps.keys()]);
    const rows: { id: number | string; origin: string; wake_keys: string }[] = await query.orderBy('id').limit(READ_LIMIT);
    for (const row of rows) {
      const id = Number(row.id);
      gaps.delete(id);
      if (id > lastId) {
        for (let missing = lastId + 1; missing < id; missing++) gaps.set(missing, started);
        lastId = id;
      }
      if (row.origin === origin) continue; // woken here already
      peerSeen();
      for (const key of JSON.parse(row.wake_keys) as string[]) wakeups.notifyLocal(key);
    }
    if (started - lastPresence > PRESENCE_MS) {
      lastPresence = started;
      await sayPresent();
    }
    if (started - lastPurge > PURGE_EVERY_MS) {
      lastPurge = started;
      await db('wakeup_events').where('created_at', '<', db.raw(`${nowSql(db)} - ?`, [KEEP_MS])).delete();
    }
    return rows.length;
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const loop = () => {
    running = (async () => {
      try {
        while (!stopped && (await readOnce()) === READ_LIMIT);
      } catch (error) {
        log.warn({ err: asError(error) }, 'could not read the other replicas\' wake-ups; trying again');
      }
      if (!stopped) timer = setTimeout(loop, peerKnown() ? intervalMs : Math.max(intervalMs, ALONE_READ_MS)).unref();
    })();
  };
  loop();
  log.info({ origin, intervalMs }, 'relaying wake-ups between replicas');

  return {
    origin,
    get reads() {
      return reads;
    },
    get peers() {
      return peerKnown();
    },
    async stop() {
      stopped = true;
      wakeups.relay = undefined;
      clearTimeout(timer);
      await running;
      await flushing;
    },
  };
}
