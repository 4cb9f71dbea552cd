/**
 * Live output: stores what an endpoint says its running tasks printed, keeping the last
 * TASK_OUTPUT_KEEP_BYTES of each task's stream (task_output, one row per task), and at most
 * `totalCap` bytes for all tasks together (the rows updated longest ago lose their text first).
 *
 * Offsets are bytes of the task's output stream. A chunk names its offset within its attempt;
 * a new attempt (another lease token) continues the stream after a marker line. A chunk that
 * starts past what is stored (the endpoint dropped unsent text) restarts what is kept there;
 * one that repeats stored bytes (a retried post) adds only what is new. Only the lease holder's
 * chunks are stored: a stale token is refused, so the endpoint stops sending for that task.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../db/connect.js';
import { now } from '../db/clock.js';
import { inTransaction } from '../db/transaction.js';

/** What is kept of one task's output (bytes). */
export const TASK_OUTPUT_KEEP_BYTES = 1024 * 1024;

export interface OutputChunk {
  task_id: string;
  lease_token: string;
  offset: number;
  text: string;
}

interface OutputRow {
  task_id: string;
  text: string;
  start_offset: number;
  end_offset: number;
  lease_token: string;
  attempt_base: number;
}

export async function appendTaskOutput(
  db: Knex,
  input: { endpointId: string; chunks: readonly OutputChunk[]; totalCap: number },
): Promise<{ accepted: number; refused: string[]; appended: string[] }> {
  const answer = { accepted: 0, refused: [] as string[], appended: [] as string[] };
  // One transaction per task, in task order (rows locked in a stable order: no deadlocks between posts).
  const byTask = new Map<string, OutputChunk[]>();
  for (const chunk of input.chunks) byTask.set(chunk.task_id, [...(byTask.get(chunk.task_id) ?? []), chunk]);
  for (const taskId of [...byTask.keys()].sort()) {
    const stored = await inTransaction(db, (trx) => appendForTask(trx, input.endpointId, taskId, byTask.get(taskId)!));
    if (stored === 'refused') answer.refused.push(taskId);
    else {
      answer.accepted += stored;
      if (stored > 0) answer.appended.push(taskId);
    }
  }
  if (answer.appended.length > 0) await enforceTotalCap(db, input.totalCap);
  return answer;
}

async function appendForTask(trx: Knex, endpointId: string, taskId: string, chunks: OutputChunk[]): Promise<number | 'refused'> {
  const taskQuery = trx('tasks').select('endpoint_id', 'lease_token', 'attempts').where({ id: taskId });
  if (dialectOf(trx) === 'mysql') taskQuery.forUpdate();
  const task: { endpoint_id: string; lease_token: string | null; attempts: number } | undefined = await taskQuery.first();
  if (!task || task.endpoint_id !== endpointId) return 'refused';
  const current = chunks.filter((c) => c.lease_token === task.lease_token);
  if (current.length === 0) return 'refused';
  const rowQuery = trx('task_output').where({ task_id: taskId });
  const existing: OutputRow | undefined = await rowQuery.first();
  let row: OutputRow = existing
    ? { ...existing, start_offset: Number(existing.start_offset), end_offset: Number(existing.end_offset), attempt_base: Number(existing.attempt_base) }
    : { task_id: taskId, text: '', start_offset: 0, end_offset: 0, lease_token: current[0].lease_token, attempt_base: 0 };
  let kept = Buffer.from(row.text, 'utf8');
  if (existing && existing.lease_token !== current[0].lease_token) {
    // A new attempt: its output follows the earlier attempt's, after a line that says so.
    const marker = Buffer.from(`${row.end_offset > 0 ? '\n' : ''}[funcX: attempt ${task.attempts} started; the output above is from an earlier attempt]\n`, 'utf8');
    kept = Buffer.concat([kept, marker]);
    row = { ...row, end_offset: row.end_offset + marker.length, lease_token: current[0].lease_token };
    row.attempt_base = row.end_offset;
  }
  let stored = 0;
  for (const chunk of current.sort((a, b) => a.offset - b.offset)) {
    const bytes = Buffer.from(chunk.text, 'utf8');
    const start = row.attempt_base + chunk.offset;
    const end = start + bytes.length;
    if (end <= row.end_offset) continue; // already stored (a retried post)
    if (start > row.end_offset) {
      // The endpoint dropped text it could not send in time: keep from here on.
      kept = bytes;
      row.start_offset = start;
    } else {
      kept = Buffer.concat([kept, bytes.subarray(row.end_offset - start)]);
    }
    row.end_offset = end;
    stored += 1;
  }
  if (kept.length > TASK_OUTPUT_KEEP_BYTES) {
    let cut = kept.length - TASK_OUTPUT_KEEP_BYTES;
    while (cut < kept.length && (kept[cut] & 0xc0) === 0x80) cut += 1; // start on a character
    kept = kept.subarray(cut);
    row.start_offset = row.end_offset - kept.length;
  }
  const columns = {
    text: kept.toString('utf8'),
    start_offset: row.start_offset,
    end_offset: row.end_offset,
    kept_bytes: kept.length,
    lease_token: row.lease_token,
    attempt_base: row.attempt_base,
    updated_at: now(trx),
  };
  if (existing) await trx('task_output').where({ task_id: taskId }).update(columns);
  else await trx('task_output').insert({ task_id: taskId, endpoint_id: endpointId, ...columns });
  return stored;
}

/** Over the service-wide cap: the text updated longest ago goes first (its offsets stay, its `dropped` grows). */
async function enforceTotalCap(db: Knex, totalCap: number): Promise<void> {
  const [{ total }] = await db('task_output').sum({ total: 'kept_bytes' });
  let excess = Number(total ?? 0) - totalCap;
  while (excess > 0) {
    const oldest: { task_id: string; kept_bytes: number | string }[] = await db('task_output')
      .select('task_id', 'kept_bytes')
      .where('kept_bytes', '>', 0)
      .orderBy([{ column: 'updated_at' }, { column: 'task_id' }])
      .limit(100);
    if (oldest.length === 0) return;
    for (const row of oldest) {
      if (excess <= 0) return;
      // Compare-and-set on kept_bytes: a row appended to meanwhile is left for the next pass.
      const cleared = await db('task_output')
        .where({ task_id: row.task_id, kept_bytes: row.kept_bytes })
        .update({ text: '', kept_bytes: 0, start_offset: db.ref('end_offset') });
      if (cleared > 0) excess -= Number(row.kept_bytes);
    }
  }
}
