/** How many statements a piece of work sends to the database (knex's query events on the real pool). */
import type { Knex } from 'knex';

export async function countStatements<T>(db: Knex, work: () => Promise<T>): Promise<{ result: T; count: number }> {
  let count = 0;
  const onQuery = () => { count += 1; };
  db.on('query', onQuery);
  try {
    return { result: await work(), count };
  } finally {
    db.off('query', onQuery);
  }
}
