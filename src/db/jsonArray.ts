/**
 * A row's list from a child table, read in the same statement as the row: a correlated
 * subquery that folds the child rows into a JSON array. On MariaDB each statement is a
 * network round trip, and reading an endpoint with its allowed functions and groups, or a
 * function with its sharing groups, took two or three (docs/benchmarks.md).
 *
 * MariaDB's JSON_ARRAYAGG is built on GROUP_CONCAT and cut at the session's
 * group_concat_max_len: src/db/connect.ts sets it per session, above the schemas' largest list.
 */
import type { Knex } from 'knex';
import { dialectOf } from './connect.js';

/**
 * `(SELECT <json array of column> FROM table WHERE where)`; identifiers are the caller's constants.
 * Unordered: an `ORDER BY` inside the aggregate made SQLite build a temporary b-tree per subquery,
 * which took an endpoint's read (one per submit) from ~9 to ~37 µs alone and ~160 µs in the
 * service; parseJsonArray sorts instead, on both databases.
 */
export function jsonArraySql(db: Knex, column: string, table: string, where: string): string {
  const aggregate = dialectOf(db) === 'mysql' ? 'JSON_ARRAYAGG' : 'json_group_array';
  return `(SELECT ${aggregate}(${column}) FROM ${table} WHERE ${where})`;
}

/**
 * The subquery's value, sorted (lists read this way are shown and compared in a stable order):
 * SQLite gives '[]' for no rows, MariaDB NULL; MySQL's driver may parse JSON itself.
 */
export function parseJsonArray(value: unknown): string[] {
  if (value == null) return [];
  const list = Array.isArray(value) ? [...(value as string[])] : (JSON.parse(String(value)) as string[]);
  return list.sort();
}
