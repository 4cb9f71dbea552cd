/**
 * A condition kept off every index, for statements that find tasks by id: `+column = ?` or
 * `+column IN (?, …)`. The rows are then found by tasks_id_unique and the condition checked on
 * each row found. SQLite's planner has no statistics in the service (nothing runs ANALYZE) and
 * guesses that an equality on an index matches about ten rows, so beside an IN list of a few ids
 * (three to eight, measured on SQLite 3.53) it preferred tasks_submitter_recent_idx (submitter =
 * ?: every task the caller ever submitted) or tasks_reap_idx (state = ?: every running, or
 * waiting, task of every endpoint), and a long-running service slowed as its ledger grew
 * (docs/benchmarks.md, "A long-running SQLite service"). The unary + is SQLite's documented way
 * to disqualify a term from index use; it leaves the value as it is, and MariaDB's parser drops
 * it (MariaDB plans from statistics).
 */
export function offIndex(column: string, values: readonly string[]): [string, string[]] {
  if (values.length === 0) throw new Error(`offIndex(${column}): no values`);
  return values.length === 1 ? ['+?? = ?', [column, values[0]]] : [`+?? IN (${values.map(() => '?').join(', ')})`, [column, ...values]];
}
