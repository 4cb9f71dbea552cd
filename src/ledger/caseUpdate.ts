/**
 * One UPDATE for many rows with different values (`SET col = CASE id WHEN ...`),
 * so finishing 500 tasks is one statement, not 500 round trips.
 */
import type { Knex } from 'knex';

export function caseExpression(db: Knex, keyColumn: string, values: ReadonlyArray<[key: string, value: string | number | null]>): Knex.Raw {
  const whens = values.map(() => 'WHEN ? THEN ?').join(' ');
  return db.raw(`CASE ?? ${whens} END`, [keyColumn, ...values.flat()] as Knex.RawBinding[]);
}
