/**
 * Whether the ledger database has room to write, as this replica last saw it. A write refused
 * for space (src/db/storageFull.ts) marks it full: that is logged at error once, not once per
 * request, and /readyz says not ready and why. While it is marked full, a small probe write
 * (at most once per PROBE_EVERY_MS, from /readyz and from a timer) finds out when space is back;
 * then one info line says so and /readyz is ready again.
 *
 * On SQLite the free space of the database's file system is read as well (statfs): a write
 * that fits in the WAL file's old frames can pass on a full disk, so one passing probe does not
 * prove there is room; below MIN_FREE_BYTES the ledger counts as full even without an error yet.
 *
 * On MySQL/MariaDB the probe creates a table of its own, writes a row and drops it: an update of
 * an existing row (or an insert into a page with room) passes on a full disk, so only a new
 * tablespace file (innodb_file_per_table) or new pages of a capped one prove that tables can
 * grow again (test/durability/disk.full-mariadb-recovery).
 */
import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from '../logger.js';
import { asError } from '../errors.js';
import { dialectOf } from './connect.js';
import { nowSql } from './clock.js';
import { isStatementTimeout, isStorageFullError } from './storageFull.js';

const PROBE_EVERY_MS = 2000;
/** Below this much free space (SQLite's file system) writes are about to fail. */
export const MIN_FREE_BYTES = 1024 * 1024;
/** The probe's row in rate_limits: a bucket no budget uses, pruned by nobody, one row in all. */
const PROBE_ROW = { bucket: 'storage-probe', bucket_key: 'probe' };

export interface StorageFullness {
  /** Epoch ms when this replica first saw the database refuse a write for space. */
  since: number;
  reason: string;
}

export class StorageMonitor {
  private state?: StorageFullness;
  private lastProbe = 0;
  private probing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly sqliteDir?: string;

  constructor(private readonly db: Knex, private readonly logger: Logger) {
    if (dialectOf(db) === 'sqlite') {
      const filename = (db.client.config.connection as { filename?: string } | undefined)?.filename;
      if (filename && filename !== ':memory:') this.sqliteDir = path.dirname(filename);
    }
  }

  /** Undefined while there is room; else since when and why writes are refused. */
  get full(): StorageFullness | undefined {
    return this.state;
  }

  /**
   * A write failed for lack of space: the first one of an episode is logged at error. `reason`
   * is what /readyz tells anyone who asks, so never the error's text (it may hold a statement).
   */
  noteFull(error: unknown, reason = 'a write was refused: disk or table full'): void {
    if (this.state) return;
    this.state = { since: Date.now(), reason };
    this.logger.error({ err: asError(error) }, 'the database has no room to write: writes are answered 507 StorageFull until space is freed; reads go on');
    this.timer = setInterval(() => void this.recheck(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  /** Notes `error` if it is a storage-full error; returns whether it was. */
  noteIfFull(error: unknown): boolean {
    if (!isStorageFullError(error)) return false;
    this.noteFull(error);
    return true;
  }

  /** For /readyz: checks again (bounded by PROBE_EVERY_MS) and answers the current state. */
  async check(): Promise<StorageFullness | undefined> {
    const low = this.lowFreeSpace();
    if (low && !this.state) this.noteFull(new Error(low), low);
    await this.recheck();
    return this.state;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private recheck(): Promise<void> {
    if (!this.state || Date.now() - this.lastProbe < PROBE_EVERY_MS) return this.probing ?? Promise.resolve();
    this.lastProbe = Date.now();
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async probe(): Promise<void> {
    if (this.lowFreeSpace()) return;
    try {
      if (dialectOf(this.db) === 'mysql') await probeGrowth(this.db);
      else {
        await this.db('rate_limits')
          .insert({ ...PROBE_ROW, tat: this.db.raw(nowSql(this.db)) })
          .onConflict(['bucket', 'bucket_key'])
          .merge(['tat']);
      }
    } catch (error) {
      // Still full (or a timeout while the database waits for space): stay not ready, quietly.
      if (isStorageFullError(error) || isStatementTimeout(error)) return;
      this.logger.warn({ err: asError(error) }, 'could not probe whether the database has room to write again');
      return;
    }
    const since = this.state?.since;
    this.state = undefined;
    this.stop();
    this.logger.info({ full_for_ms: since === undefined ? undefined : Date.now() - since }, 'the database has room to write again');
  }

  /** SQLite only: a reason when the database's file system has less than MIN_FREE_BYTES free. */
  private lowFreeSpace(): string | undefined {
    if (!this.sqliteDir) return undefined;
    try {
      const stats = statfsSync(this.sqliteDir);
      const free = stats.bavail * stats.bsize;
      return free < MIN_FREE_BYTES ? `the database's file system has ${free} bytes free` : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * MySQL/MariaDB: whether a table can be made and written (a new tablespace file, or new pages).
 * The name is this probe's own (replicas share the database); dropped whatever happens.
 */
async function probeGrowth(db: Knex): Promise<void> {
  const table = `funcx_storage_probe_${randomBytes(6).toString('hex')}`;
  try {
    await db.raw('CREATE TABLE ?? (id INT PRIMARY KEY, filler VARCHAR(4000) NOT NULL) ENGINE=InnoDB', [table]);
    await db.raw('INSERT INTO ?? (id, filler) VALUES (1, REPEAT(\'x\', 4000))', [table]);
  } finally {
    await db.raw('DROP TABLE IF EXISTS ??', [table]).catch(() => undefined);
  }
}
