/**
 * Part of `npm run bench -- ledger`: listing a submitter's tasks (GET /v3/tasks,
 * src/ledger/listTasks.ts) at a large backlog: the first page, and a page deep
 * in the backlog through its cursor, each the median of LIST_SAMPLES reads of
 * 50 tasks. The backlog is what the throughput run left (FUNCX_BENCH_TASKS of
 * one submitter) plus FUNCX_BENCH_LIST_BACKLOG rows (default 100,000; set
 * 1000000 for the issue's million) spread over ten submitters, so the page
 * must be found among others' tasks. Also prints the page query's plan.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf } from '../src/db/connect.js';
import { readNow } from '../src/db/clock.js';
import { listTasks, taskPageQuery, type TaskListInput } from '../src/ledger/listTasks.js';

const BACKLOG = Number(process.env.FUNCX_BENCH_LIST_BACKLOG ?? 100_000);
const LIST_SAMPLES = 50;
const PAGE = 50;
/** SQLite takes at most 500 rows in one multi-row insert. */
const INSERT_CHUNK = 400;

export interface ListingFigures {
  backlog: number;
  firstPageMs: number;
  deepPageMs: number;
  plan: string;
}

export async function listingAtBacklog(db: Knex, input: { submitter: string; functionId: string; endpointId: string }): Promise<ListingFigures> {
  await addBacklog(db, input);
  const [{ total }] = await db('tasks').count({ total: '*' });
  const scope = { submitter: input.submitter };
  const first = await listTasks(db, { scope, filters: {}, limit: PAGE });
  // A cursor half-way into the submitter's tasks: a deep page costs what the first does (no OFFSET scan).
  const [{ n }] = await db('tasks').where('submitter', input.submitter).count({ n: '*' });
  const middle = await db('tasks').select('created_at', 'seq').where('submitter', input.submitter).orderBy('seq').offset(Math.floor(Number(n) / 2)).first();
  const deep: TaskListInput = { scope, filters: {}, after: { createdAt: Number(middle.created_at), seq: Number(middle.seq) }, limit: PAGE };
  if (first.tasks.length !== PAGE || (await listTasks(db, deep)).tasks.length !== PAGE) throw new Error('a listing page came back short');
  return {
    backlog: Number(total),
    firstPageMs: await medianMs(() => listTasks(db, { scope, filters: {}, limit: PAGE })),
    deepPageMs: await medianMs(() => listTasks(db, deep)),
    plan: await planOf(db, deep),
  };
}

/** Rows of ten other submitters, inserted directly (the figure is about reading, not submitting). */
async function addBacklog(db: Knex, input: { functionId: string; endpointId: string }): Promise<void> {
  const now = await readNow(db);
  for (let done = 0; done < BACKLOG; done += INSERT_CHUNK) {
    const rows = Array.from({ length: Math.min(INSERT_CHUNK, BACKLOG - done) }, (_, i) => ({
      id: randomUUID(), task_group_id: randomUUID(), function_id: input.functionId, endpoint_id: input.endpointId,
      submitter: `other-${(done + i) % 10}`, payload: '{"args":[],"kwargs":{}}', serializer: 'json', state: 'success',
      attempts: 1, created_at: now - BACKLOG + done + i, completed_at: now,
    }));
    await db('tasks').insert(rows);
  }
  if (dialectOf(db) === 'mysql') await db.raw('ANALYZE TABLE tasks');
  else await db.raw('ANALYZE');
}

async function medianMs(read: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < LIST_SAMPLES; i++) {
    const started = process.hrtime.bigint();
    await read();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (MariaDB) of a page query, one line per step. */
export async function planOf(db: Knex, input: TaskListInput): Promise<string> {
  const { sql, bindings } = taskPageQuery(db, input).toSQL().toNative();
  if (dialectOf(db) === 'mysql') {
    const [rows] = (await db.raw(`EXPLAIN ${sql}`, bindings as readonly Knex.Value[])) as [Record<string, unknown>[]];
    return rows.map((row) => `type=${row.type} key=${row.key} rows=${row.rows} Extra=${row.Extra}`).join('\n');
  }
  const rows = (await db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as readonly Knex.Value[])) as { detail: string }[];
  return rows.map((row) => row.detail).join('\n');
}
