/**
 * Every statement a private MariaDB server runs over a stretch, from its slow log at
 * long_query_time 0 (log_output=TABLE): each distinct statement (literals folded) with its count,
 * its time inside the server and the rows it examined. For benches on their own private server
 * only (these are global settings of that server; the service never changes any).
 */
import type { Knex } from 'knex';

export interface LoggedStatement { sql: string; n: number; seconds: number; examined: number }

/** A statement with its literals folded, so the same statement with other values counts as one. */
export function folded(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?…)')
    .replace(/(?:\(\?…\)\s*,\s*)+\(\?…\)/g, '(?…), …')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
}

/** Logs every statement of other connections than `admin`'s while `work` runs. */
export async function logStatements(admin: Knex, work: () => Promise<void>): Promise<LoggedStatement[]> {
  const [[{ id: adminThread }]] = (await admin.raw('SELECT CONNECTION_ID() AS id')) as [{ id: number }[]];
  await admin.raw("SET GLOBAL log_output = 'TABLE'");
  await admin.raw('SET GLOBAL long_query_time = 0');
  await admin.raw('TRUNCATE mysql.slow_log');
  await admin.raw('SET GLOBAL slow_query_log = 1');
  try {
    await work();
  } finally {
    await admin.raw('SET GLOBAL slow_query_log = 0');
  }
  const [rows] = (await admin.raw(
    'SELECT CONVERT(sql_text USING utf8mb4) AS sql_text, TIME_TO_SEC(query_time) AS seconds, rows_examined AS examined FROM mysql.slow_log WHERE thread_id <> ?',
    [adminThread],
  )) as [{ sql_text: string; seconds: number; examined: number }[]];
  const byStatement = new Map<string, LoggedStatement>();
  for (const row of rows) {
    const sql = folded(row.sql_text);
    const entry = byStatement.get(sql) ?? { sql, n: 0, seconds: 0, examined: 0 };
    entry.n += 1;
    entry.seconds += Number(row.seconds);
    entry.examined += Number(row.examined);
    byStatement.set(sql, entry);
  }
  return [...byStatement.values()].sort((a, b) => b.n - a.n);
}

/** The log as a table, each figure divided by `per` (tasks; endpoint-minutes). */
export function printStatements(statements: readonly LoggedStatement[], per: number, unit: string): void {
  const total = statements.reduce((sum, s) => sum + s.n, 0);
  const seconds = statements.reduce((sum, s) => sum + s.seconds, 0);
  console.log(`\n  every statement (the server's slow log at long_query_time 0): ${total}, ${(total / per).toFixed(3)} per ${unit}, ${((1000 * seconds) / per).toFixed(3)} ms per ${unit} inside the server`);
  console.log(`  ${`per ${unit}`.padStart(12)} ${'ms'.padStart(8)} ${'rows'.padStart(9)}  statement (literals folded)`);
  for (const s of statements) console.log(`  ${(s.n / per).toFixed(4).padStart(12)} ${((1000 * s.seconds) / per).toFixed(4).padStart(8)} ${(s.examined / per).toFixed(2).padStart(9)}  ${s.sql}`);
}
