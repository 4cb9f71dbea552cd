/**
 * Every statement a private MariaDB server runs over a stretch, from performance_schema's
 * statement digests (start the server with STATEMENT_LOG_ARGS): each distinct statement
 * (literals folded by the server) with its count, its time inside the server and the rows it
 * examined. For benches on their own private server only; the service changes no setting.
 */
import type { Knex } from 'knex';

export interface LoggedStatement { sql: string; n: number; seconds: number; examined: number }

/** mariadbd options for logStatements. */
export const STATEMENT_LOG_ARGS = ['--performance-schema=ON'];

/** A statement with its literals folded, so the same statement with other values counts as one. */
export function folded(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?…)')
    .replace(/(?:\(\?…\)\s*,\s*)+\(\?…\)/g, '(?…), …')
    .replace(/\s+/g, ' ')
    .replace(/(?: UNION ALL SELECT \?, \.\.\.)+/g, ' UNION ALL SELECT …')
    .slice(0, 160);
}

/** Every statement the server ran while `work` ran (a few of the bench's own included: the digest table's reset and read). */
export async function logStatements(admin: Knex, work: () => Promise<void>): Promise<LoggedStatement[]> {
  await admin.raw('TRUNCATE performance_schema.events_statements_summary_by_digest');
  await work();
  const [rows] = (await admin.raw(
    `SELECT DIGEST_TEXT AS sql_text, COUNT_STAR AS n, SUM_TIMER_WAIT / 1e12 AS seconds, SUM_ROWS_EXAMINED AS examined
     FROM performance_schema.events_statements_summary_by_digest ORDER BY COUNT_STAR DESC`,
  )) as [{ sql_text: string | null; n: number; seconds: number; examined: number }[]];
  const byStatement = new Map<string, LoggedStatement>();
  for (const row of rows) {
    const sql = folded(row.sql_text ?? '(no digest)');
    const entry = byStatement.get(sql) ?? { sql, n: 0, seconds: 0, examined: 0 };
    entry.n += Number(row.n);
    entry.seconds += Number(row.seconds);
    entry.examined += Number(row.examined);
    byStatement.set(sql, entry);
  }
  return [...byStatement.values()].sort((a, b) => b.seconds - a.seconds);
}

/** The log as a table, each figure divided by `per` (tasks; endpoint-minutes). */
export function printStatements(statements: readonly LoggedStatement[], per: number, unit: string): void {
  const total = statements.reduce((sum, s) => sum + s.n, 0);
  const seconds = statements.reduce((sum, s) => sum + s.seconds, 0);
  console.log(`\n  every statement (performance_schema's digests): ${total}, ${(total / per).toFixed(3)} per ${unit}, ${((1000 * seconds) / per).toFixed(3)} ms per ${unit} inside the server`);
  console.log(`  ${`per ${unit}`.padStart(12)} ${'ms'.padStart(8)} ${'rows'.padStart(9)}  statement (literals folded)`);
  for (const s of statements) console.log(`  ${(s.n / per).toFixed(4).padStart(12)} ${((1000 * s.seconds) / per).toFixed(4).padStart(8)} ${(s.examined / per).toFixed(2).padStart(9)}  ${s.sql}`);
}
