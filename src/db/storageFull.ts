/**
 * Which database errors mean "no room to write": the disk under the database is full, or a
 * table cannot grow. Such a write stored nothing (its transaction rolled back) and may pass
 * once space is freed, so it is answered 507 StorageFull with Retry-After, not 500.
 *
 * SQLite (better-sqlite3) says SQLITE_FULL ("database or disk is full"); an ENOSPC met while
 * writing the WAL or a temporary file can also surface as an I/O error whose text names it.
 * MariaDB/MySQL say ER_RECORD_FILE_FULL (1114, "The table ... is full": an InnoDB tablespace
 * that reached its maximum, or a MEMORY table at max_heap_table_size), ER_DISK_FULL (1021),
 * or wrap the operating system's errno 28 in another error's message ("Errcode: 28",
 * "Got error 28 ..."). MariaDB may also wait for space instead of failing; the session's
 * max_statement_time (src/db/connect.ts) ends that wait with ER_STATEMENT_TIMEOUT, which is
 * classified by `isStatementTimeout` (the caller decides what a timeout means).
 */

const SQLITE_FULL_CODES = new Set(['SQLITE_FULL']);
/** ER_DISK_FULL, ER_RECORD_FILE_FULL. */
const MYSQL_FULL_ERRNOS = new Set([1021, 1114]);
const MYSQL_FULL_CODES = new Set(['ER_DISK_FULL', 'ER_RECORD_FILE_FULL']);
/** errno 28 (ENOSPC) as MariaDB and SQLite put it in messages; "disk is full" is SQLite's own text. */
const NO_SPACE_TEXT = /ENOSPC|No space left on device|Errcode: 28\b|errno: 28\b|error 28\b|database or disk is full/i;

/** ER_STATEMENT_TIMEOUT (MariaDB's max_statement_time) and MySQL's ER_QUERY_TIMEOUT (max_execution_time). */
const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]);

interface DbErrorShape {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  sqlMessage?: unknown;
  cause?: unknown;
}

/** Whether `error` (or an error it wraps) says the database has no room to write. */
export function isStorageFullError(error: unknown): boolean {
  for (let e = error as DbErrorShape | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as DbErrorShape | undefined, depth++) {
    if (typeof e.code === 'string' && (SQLITE_FULL_CODES.has(e.code) || MYSQL_FULL_CODES.has(e.code) || e.code === 'ENOSPC')) return true;
    if (typeof e.errno === 'number' && MYSQL_FULL_ERRNOS.has(e.errno)) return true;
    const text = typeof e.sqlMessage === 'string' ? e.sqlMessage : typeof e.message === 'string' ? e.message : '';
    // Only database and system errors are read for text: a user's payload echoed in some
    // other error's message must not pass for a full disk.
    const fromDatabase = typeof e.code === 'string' && /^(SQLITE_|ER_|E[A-Z]+$)/.test(e.code);
    if (fromDatabase && NO_SPACE_TEXT.test(text)) return true;
  }
  return false;
}

/** Whether `error` is the database ending a statement that ran past its time limit. */
export function isStatementTimeout(error: unknown): boolean {
  const e = error as DbErrorShape | null;
  return typeof e?.errno === 'number' && STATEMENT_TIMEOUT_ERRNOS.has(e.errno);
}
