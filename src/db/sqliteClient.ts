/**
 * knex's better-sqlite3 client, with every LIMIT written into the SQL instead of bound.
 *
 * SQLite (3.53 here) reads a bound LIMIT's value when it compiles a statement, and binding that
 * parameter again expires the statement: its next run compiles it anew. knex binds every
 * parameter on every run, so each `.first()` paid a full compilation, whatever the statement
 * cache (connect.ts) kept. Measured in the service during lone round trips, the endpoint read of
 * every submit took 190–200 µs with `limit ?` and 50 µs with `limit 1` (bench notes in
 * docs/benchmarks.md). A bound OFFSET does not expire a statement; it stays bound.
 *
 * knex parses a limit with parseInt before it reaches the compiler, so the text written is
 * always an integer. Each distinct limit is its own statement: `.first()`'s 1 and an agent's
 * own lease size are few, and the statement cache keeps the ones in use.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type CompilerClass = new (...args: unknown[]) => { single: { limit?: number }; limit(): string };
type ClientClass = new (config: object) => { queryCompiler(builder: unknown, formatter: unknown): unknown };

// knex exports neither class by name; its package has no export map, so the files are reachable.
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as ClientClass;
const SqliteQueryCompiler = require('knex/lib/dialects/sqlite3/query/sqlite-querycompiler.js') as CompilerClass;

class InlineLimitCompiler extends SqliteQueryCompiler {
  override limit(): string {
    const limit = this.single.limit;
    if (!limit && limit !== 0) return ''; // knex's own test for "no limit"
    return `limit ${Number(limit)}`; // Number(): nothing but a number reaches the SQL
  }
}

export class InlineLimitSqliteClient extends BetterSqlite3Client {
  override queryCompiler(builder: unknown, formatter: unknown): unknown {
    return new InlineLimitCompiler(this, builder, formatter);
  }
}

/**
 * A LIMIT for raw SQLite SQL, written in for the same reason: a whole non-negative integer, or an
 * error (never text from a caller in the statement).
 */
export function inlineLimit(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`a LIMIT must be a whole number, not ${String(limit)}`);
  return `LIMIT ${limit}`;
}
