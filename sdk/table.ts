/**
 * Plain-text tables for people: search results, endpoint lists, status. A
 * result list that prints as a table is still an array (TableArray).
 */
import { inspect } from 'node:util';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Longer cells are cut with an ellipsis (default 60). */
  maxWidth?: number;
}

function cell(value: unknown, maxWidth: number): string {
  const text = (value === null || value === undefined ? '' : String(value)).replace(/\s+/g, ' ');
  return text.length > maxWidth ? text.slice(0, maxWidth - 1) + '…' : text;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row), column.maxWidth ?? 60)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i])).join(' | ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [line(columns.map((column) => column.header)), rule, ...cells.map(line)].join('\n');
}

/** Two columns, field and value: one record (e.g. an endpoint's status). */
export function renderRecord(entries: [string, unknown][]): string {
  return renderTable(entries, [{ header: 'field', value: ([key]) => key }, { header: 'value', value: ([, value]) => value, maxWidth: 80 }]);
}

/** An array that prints as a table: `console.log(list)`, `String(list)` and template strings alike. */
export abstract class TableArray<T> extends Array<T> {
  // map/filter/slice give plain arrays: a subclass constructor takes other arguments than Array's.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  protected abstract columns(): Column<T>[];

  override toString(): string {
    return renderTable(this, this.columns());
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
