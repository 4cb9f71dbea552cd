/**
 * The action's log: the transitions of its tasks, from the ledger's timestamps
 * (queued, each leased attempt, each lost attempt, the end), framed by the
 * action's start and completion. Entries are ordered by (time, task position,
 * kind); a page's marker is the key of its last entry, so the next page starts
 * strictly after it even when newer entries have been appended meanwhile.
 */
import { parseStored, isFinished } from '../src/forParts.js';
import type { AttemptRecord } from '../src/forParts.js';
import { BadActionRequest } from './errors.js';
import { taskIdsOf, type ActionRow, type ActionTask } from './model.js';

export interface LogEntry {
  code: string;
  description: string;
  details: Record<string, unknown>;
}

type Key = [time: number, position: number, kind: number];

interface Keyed {
  key: Key;
  entry: LogEntry;
}

export const DEFAULT_LOG_LIMIT = 10;
export const MAX_LOG_LIMIT = 100;

export function logEntries(row: ActionRow, tasks: readonly ActionTask[]): Keyed[] {
  const ids = taskIdsOf(row);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const at = (ms: number) => new Date(ms).toISOString();
  // The tasks are queued a moment before the action's row is written: the action starts with the first of them.
  const started = Math.min(Number(row.created_at), ...tasks.map((t) => Number(t.created_at)));
  const keyed: Keyed[] = [
    { key: [started, -1, 0], entry: { code: 'ActionStarted', description: `the action started with ${ids.length} task(s)`, details: { time: at(started), task_group_id: row.task_group_id } } },
  ];
  ids.forEach((id, position) => {
    const task = byId.get(id);
    if (!task) return;
    const add = (ms: number | null, kind: number, code: string, description: string, extra: Record<string, unknown> = {}) => {
      if (ms == null) return;
      keyed.push({ key: [Number(ms), position, kind], entry: { code, description, details: { time: at(Number(ms)), task_id: id, ...extra } } });
    };
    add(task.created_at, 0, 'TaskQueued', `task ${position + 1}/${ids.length} queued for endpoint ${task.endpoint_id}`, { function_id: task.function_id, endpoint_id: task.endpoint_id });
    const lost = parseStored<AttemptRecord[]>(task.attempt_history, []);
    lost.forEach((attempt, i) => {
      add(attempt.leased_at ? Date.parse(attempt.leased_at) : null, 1 + 2 * i, 'TaskRunning', `task ${position + 1}/${ids.length} started (attempt ${attempt.attempt})`, { attempt: attempt.attempt });
      add(Date.parse(attempt.ended_at), 2 + 2 * i, 'TaskAttemptLost', `task ${position + 1}/${ids.length} lost its attempt ${attempt.attempt}: ${attempt.reason}`, { attempt: attempt.attempt, reason: attempt.reason });
    });
    const base = 1 + 2 * lost.length;
    // After a lost attempt the row keeps that attempt's leased_at until the next lease: not a new start.
    const lastLost = lost[lost.length - 1];
    const sameAsLost = lastLost?.leased_at != null && Date.parse(lastLost.leased_at) === Number(task.leased_at);
    if (!sameAsLost) add(task.leased_at, base, 'TaskRunning', `task ${position + 1}/${ids.length} started (attempt ${Number(task.attempts)})`, { attempt: Number(task.attempts) });
    if (isFinished(task.state)) {
      const code = task.state === 'success' ? 'TaskSucceeded' : task.state === 'cancelled' ? 'TaskCancelled' : 'TaskFailed';
      add(task.completed_at, base + 1, code, `task ${position + 1}/${ids.length} ended: ${task.state}`, { state: task.state });
    }
  });
  if (row.completed_at != null) {
    keyed.push({ key: [Number(row.completed_at), ids.length, 0], entry: { code: 'ActionCompleted', description: `the action ended: ${row.status}`, details: { time: at(Number(row.completed_at)), status: row.status } } });
  }
  return keyed.sort((a, b) => compare(a.key, b.key));
}

function compare(a: Key, b: Key): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function encodeMarker(key: Key): string {
  return Buffer.from(key.join('.')).toString('base64url');
}

export function decodeMarker(marker: string): Key {
  const parts = Buffer.from(marker, 'base64url').toString('utf8').split('.');
  const key = parts.map(Number);
  if (parts.length !== 3 || key.some((n) => !Number.isInteger(n))) throw new BadActionRequest(`marker ${JSON.stringify(marker)} is not one this log gave`);
  return key as Key;
}

export function logPage(all: Keyed[], limit: number, marker?: string): { entries: LogEntry[]; has_next_page: boolean; marker: string | null } {
  const after = marker ? decodeMarker(marker) : undefined;
  const rest = after ? all.filter((e) => compare(e.key, after) > 0) : all;
  const page = rest.slice(0, limit);
  const more = rest.length > limit;
  return { entries: page.map((e) => e.entry), has_next_page: more, marker: more ? encodeMarker(page[page.length - 1].key) : null };
}
