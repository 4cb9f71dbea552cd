/** What a piece of work sends to the database (knex's query events on the real pool). */
import type { Knex } from 'knex';

/** One statement as knex sent it: its SQL (trimmed) and bindings. */
export interface SentStatement {
  sql: string;
  bindings: Knex.Value[];
}

/** The statements `work` sends through `db`, in order, with its result. */
export async function statementsDuring<T>(db: Knex, work: () => Promise<T>): Promise<{ result: T; sent: SentStatement[] }> {
  const sent: SentStatement[] = [];
  const onQuery = (query: { sql: string; bindings?: Knex.Value[] }) => sent.push({ sql: query.sql.trim(), bindings: query.bindings ?? [] });
  db.on('query', onQuery);
  try {
    return { result: await work(), sent };
  } finally {
    db.off('query', onQuery);
  }
}

/** How many statements `work` sends through `db`, with its result. */
export async function countStatements<T>(db: Knex, work: () => Promise<T>): Promise<{ result: T; count: number }> {
  const { result, sent } = await statementsDuring(db, work);
  return { result, count: sent.length };
}
