/**
 * Opens the ledger database from a URL: `sqlite:///abs/file.sqlite3` (embedded
 * default) or `mysql://user:pass@host:port/db` (production; MariaDB too).
 */
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { ensurePrivateDir, ensurePrivateFile } from '../util/privateFiles.js';
import { InlineLimitSqliteClient } from './sqliteClient.js';

export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(db: Knex): Dialect {
  return db.client.config.client === 'mysql2' ? 'mysql' : 'sqlite';
}

export interface OpenOptions {
  poolMax?: number;
  /** MariaDB: each session's max_statement_time, in ms (0 or absent: none). See afterCreate below. */
  statementTimeoutMs?: number;
}

/** Above the largest list folded into a row: 1,000 allowed functions of 39 bytes each. */
const GROUP_CONCAT_MAX_BYTES = 1024 * 1024;

export function openDatabase(url: string, options: OpenOptions = {}): Knex {
  const parsed = new URL(url);
  if (parsed.protocol === 'sqlite:') {
    const filename = decodeURIComponent(parsed.pathname);
    if (filename !== ':memory:') {
      ensurePrivateDir(path.dirname(filename));
      ensurePrivateFile(filename);
    }
    return knexFactory({
      client: InlineLimitSqliteClient as unknown as string, // knex takes a client class in place of its name
      connection: { filename },
      useNullAsDefault: true,
      // SQLite has one writer: one connection serializes our transactions in-process,
      // and WAL lets other processes (the CLI) read while the service writes.
      pool: {
        min: 1,
        max: 1,
        afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null, c: unknown) => void) {
          connection.pragma('journal_mode = WAL');
          connection.pragma('synchronous = NORMAL');
          // 64 MiB of page cache (the default is 2 MiB): with a backlog of a million tasks the
          // ledger's indexes outgrow 2 MiB, and every insert and lease would then read pages back.
          connection.pragma('cache_size = -65536');
          connection.pragma('busy_timeout = 10000');
          connection.pragma('foreign_keys = ON');
          cachePreparedStatements(connection as unknown as PreparingConnection);
          done(null, connection);
        },
      },
    });
  }
  if (parsed.protocol === 'mysql:') {
    return knexFactory({
      client: 'mysql2',
      connection: {
        host: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : 3306,
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database: parsed.pathname.replace(/^\//, ''),
        charset: 'utf8mb4',
        supportBigNumbers: true,
        // A short transaction's statements go to the server in one packet (batchedTransaction.ts):
        // a round trip for all of them. Values are still bound parameters, escaped by mysql2.
        multipleStatements: true,
        // Payloads are large; results of 10 MB must fit in one packet.
        maxPreparedStatements: 256,
      },
      pool: {
        min: 0,
        max: options.poolMax ?? 10,
        afterCreate(connection: SessionConnection, done: (error: Error | null, c: unknown) => void) {
          setSession(connection, sessionSettings(options), (error) => done(error, connection));
        },
      },
    });
  }
  throw new Error(`unsupported database URL scheme ${parsed.protocol}`);
}

interface SessionConnection {
  query(sql: string, cb: (error: Error | null) => void): void;
}

/** One MySQL/MariaDB session's settings, each for this session only (never the server's global setting). */
function sessionSettings(options: OpenOptions): { sql: string; unknownIsFine?: boolean }[] {
  return [
    // Leasing relies on READ COMMITTED: SKIP LOCKED sees committed rows only, and no gap locks.
    { sql: 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED' },
    // JSON_ARRAYAGG is cut at this length (src/db/jsonArray.ts); MySQL's default is 1 KiB, and an
    // endpoint may allow 1,000 functions (~39 KiB).
    { sql: `SET SESSION group_concat_max_len = ${GROUP_CONCAT_MAX_BYTES}` },
    // MariaDB may wait for disk space rather than fail a write; a time limit per statement turns
    // the wait into an error. MySQL has no such variable (1193): it is then left alone.
    ...(options.statementTimeoutMs ? [{ sql: `SET SESSION max_statement_time = ${options.statementTimeoutMs / 1000}`, unknownIsFine: true }] : []),
  ];
}

function setSession(connection: SessionConnection, settings: { sql: string; unknownIsFine?: boolean }[], done: (error: Error | null) => void): void {
  const [first, ...rest] = settings;
  if (!first) return done(null);
  connection.query(first.sql, (error) => {
    const unknownVariable = (error as { errno?: number } | null)?.errno === 1193;
    if (error && !(first.unknownIsFine && unknownVariable)) return done(error);
    setSession(connection, rest, done);
  });
}

interface PreparingConnection {
  prepare(sql: string): unknown;
}

/** Statements kept compiled; the ledger's hot path uses a few dozen distinct ones. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * knex compiles every statement anew (better-sqlite3's prepare), and under the peers
 * bench's load that compilation was 9% of the service's busy CPU: the same lease,
 * result and wait statements run thousands of times. This keeps the most recently used
 * ones compiled (least recently used out first). Safe because knex runs each statement
 * to its end (all/run) before the next one on this single connection, and SQLite
 * recompiles a statement itself after a schema change.
 */
function cachePreparedStatements(connection: PreparingConnection): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, unknown>();
  connection.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement !== undefined) {
      cache.delete(sql); // re-inserted below: the Map's order is the recency order
    } else {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  };
}
