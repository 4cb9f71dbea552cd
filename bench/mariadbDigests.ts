/**
 * The MariaDB server's own account of where its statement time went, from the Performance Schema's
 * statement digests (`events_statements_summary_by_digest`): for the cpu bench's
 * FUNCX_BENCH_MARIADB_DIGESTS, on the bench's private server only (started with
 * --performance-schema=ON; the service never changes a server's settings).
 *
 * The times are the server's wall time per statement, so on a busy 2-core machine they include
 * waiting for a core and for row locks, not only work: read them as where a task's statements spend
 * their time in the server, beside the cpu bench's mariadbd CPU per task, not as CPU.
 */
import { openDatabase } from '../src/db/connect.js';

export interface DigestRow {
  statement: string;
  count: number;
  serverMs: number;
  rowsExamined: number;
}

/** Clears the server's digest table, so the next read covers what ran after this. */
export async function resetDigests(serverUrl: string): Promise<void> {
  await withPerformanceSchema(serverUrl, (db) => db.raw('TRUNCATE TABLE events_statements_summary_by_digest'));
}

/** The statements of `schema` by server time, the longest first. */
export async function readDigests(serverUrl: string, schema: string, limit = 12): Promise<DigestRow[]> {
  return withPerformanceSchema(serverUrl, async (db) => {
    const [rows] = (await db.raw(
      `SELECT DIGEST_TEXT AS statement, COUNT_STAR AS count, SUM_TIMER_WAIT / 1e9 AS server_ms, SUM_ROWS_EXAMINED AS rows_examined
         FROM events_statements_summary_by_digest WHERE SCHEMA_NAME = ? ORDER BY SUM_TIMER_WAIT DESC LIMIT ?`,
      [schema, limit],
    )) as [{ statement: string | null; count: number; server_ms: number; rows_examined: number }[]];
    return rows.map((row) => ({ statement: row.statement ?? '', count: Number(row.count), serverMs: Number(row.server_ms), rowsExamined: Number(row.rows_examined) }));
  });
}

/** Prints the digests per task: server time, statements, rows examined per statement, the statement's start. */
export function printDigests(rows: DigestRow[], tasks: number): void {
  const total = rows.reduce((sum, row) => sum + row.serverMs, 0);
  console.log(`  MariaDB's statement time per task (Performance Schema digests, the server's wall time, top ${rows.length}: ${((total * 1000) / tasks).toFixed(0)} µs):`);
  for (const row of rows) {
    const text = row.statement.replace(/\s+/g, ' ').slice(0, 110);
    console.log(`    ${((row.serverMs * 1000) / tasks).toFixed(1).padStart(7)} µs  ${(row.count / tasks).toFixed(4)} per task  ${(row.rowsExamined / Math.max(1, row.count)).toFixed(0).padStart(5)} rows examined each  ${text}`);
  }
}

async function withPerformanceSchema<T>(serverUrl: string, use: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const db = openDatabase(new URL('performance_schema', serverUrl).toString(), { poolMax: 1 });
  try {
    return await use(db);
  } finally {
    await db.destroy();
  }
}
