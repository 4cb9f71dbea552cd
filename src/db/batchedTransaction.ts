/**
 * A short MySQL/MariaDB transaction in one or two round trips: its statements go to the server in
 * one packet behind START TRANSACTION, and COMMIT either ends that packet or follows it. A knex
 * transaction sends BEGIN, each statement and COMMIT one by one, each a round trip to the server:
 * four for a submit with an Idempotency-Key, which the Python client sends with every submit
 * (docs/benchmarks.md).
 *
 * Only for statements that do not depend on each other's answers: all are sent before any
 * answer is read. `check`, when given, reads the answers before the commit and may refuse them
 * (throw): the transaction is then rolled back, as on any error, and COMMIT is a second round
 * trip. Without it COMMIT is the packet's last statement. Either way the server stops at a
 * statement that fails, so the ones after it (COMMIT too) never ran; ROLLBACK undoes the ones
 * before.
 *
 * The connection is taken from the pool for the whole transaction, as knex's own transaction
 * takes it, so nothing else runs on it in between. Every value is a bound parameter (mysql2
 * escapes it into the packet, as for any other statement of the service).
 */
import type { Knex } from 'knex';

export interface Statement {
  sql: string;
  bindings: readonly Knex.RawBinding[];
}

export async function batchedTransaction(db: Knex, statements: readonly Statement[], check?: (answers: readonly unknown[]) => void): Promise<void> {
  const connection: unknown = await db.client.acquireConnection();
  try {
    const sql = ['START TRANSACTION', ...statements.map((statement) => statement.sql), ...(check ? [] : ['COMMIT'])].join(';\n');
    const [answers] = (await db.raw(sql, statements.flatMap((statement) => statement.bindings)).connection(connection)) as [unknown[]];
    if (check) {
      check(answers.slice(1, 1 + statements.length)); // the first answer is START TRANSACTION's
      await db.raw('COMMIT').connection(connection);
    }
  } catch (error) {
    // A lost connection rolls back by itself; the error that matters is the first one.
    await db.raw('ROLLBACK').connection(connection).catch(() => undefined);
    throw error;
  } finally {
    await db.client.releaseConnection(connection);
  }
}
