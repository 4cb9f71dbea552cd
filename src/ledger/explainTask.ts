/**
 * Why a task waits, and what became of each attempt, for one task read.
 *
 * `reason` (while the task is pending) names the wait the way Globus Compute's statuses do, and says
 * what it waits on: `waiting-for-ep` (with the endpoint's own state: lost since when, stopped by
 * whom, failed with which error), `waiting-for-nodes` (the block still in the scheduler's queue and
 * what the scheduler says of it, from the endpoint's last heartbeat), `waiting-for-launch` (at the
 * endpoint, its workers busy). `history` is each attempt and how it ended, the current one last.
 */
import type { Knex } from 'knex';
import { readNow } from '../db/clock.js';
import { isoOrNull } from '../util/time.js';
import { parseStored } from '../util/json.js';
import { endpointState, reportedBlocks } from '../registry/endpointState.js';
import { LEASE_RETURNED } from './reconcileLeases.js';
import { CANCELLED, FAILED, RUNNING, SUCCESS, WAITING, type AttemptRecord, type TaskException } from './model.js';

export interface AttemptOutcome {
  attempt: number;
  started_at: string | null;
  ended_at: string | null;
  /** completed, failed, cancelled, running, lease expired, worker lost, handed back */
  outcome: string;
  detail: string | null;
}

export interface TaskExplanation {
  reason: string | null;
  history: AttemptOutcome[];
}

interface ExplainedRow {
  state: string;
  endpoint_id: string;
  attempts: number;
  leased_at: number | null;
  completed_at: number | null;
  exception: string | null;
  attempt_history: string | null;
  waiting_for_nodes_since: number | null;
  waiting_for_launch_since: number | null;
}

/** Undefined when the task is not the submitter's (the caller answers TaskNotFound). */
export async function explainTask(db: Knex, input: { submitter: string; taskId: string; offlineAfterMs: number }): Promise<TaskExplanation | undefined> {
  const row: ExplainedRow | undefined = await db('tasks')
    .select('state', 'endpoint_id', 'attempts', 'leased_at', 'completed_at', 'exception', 'attempt_history', 'waiting_for_nodes_since', 'waiting_for_launch_since')
    .where({ id: input.taskId, submitter: input.submitter })
    .first();
  if (!row) return undefined;
  return { reason: await reasonOf(db, row, input.offlineAfterMs), history: historyOf(row) };
}

async function reasonOf(db: Knex, row: ExplainedRow, offlineAfterMs: number): Promise<string | null> {
  if (row.state !== WAITING && row.state !== RUNNING) return null;
  const [endpoint, dbNow] = await Promise.all([
    db('endpoints').select('last_heartbeat_at', 'created_at', 'state_event', 'state_detail', 'state_at', 'online_since', 'last_report').where({ id: row.endpoint_id }).first(),
    readNow(db),
  ]);
  if (!endpoint) return null;
  const ep = endpointState(endpoint, dbNow, offlineAfterMs);
  const why = ep.state_detail ? `: ${ep.state_detail}` : '';
  if (row.state === WAITING) {
    if (ep.state === 'online') return 'waiting-for-ep: queued; the endpoint is online and leases it when it has room';
    if (ep.state === 'lost') return `waiting-for-ep: endpoint lost since ${ep.state_since}`;
    if (ep.state === 'failed') return `waiting-for-ep: endpoint failed since ${ep.state_since}${why}`;
    return `waiting-for-ep: endpoint offline${ep.state_since ? ` since ${ep.state_since}` : ''}${why}`;
  }
  if (row.waiting_for_nodes_since != null) {
    const queued = (reportedBlocks(endpoint.last_report) ?? []).find((b) => !b.ended && !/^RUNNING\b/i.test(b.scheduler_state));
    if (queued) return `waiting-for-nodes: block ${queued.job_id ?? queued.block_id} ${queued.scheduler_state}`;
    return `waiting-for-nodes: since ${isoOrNull(row.waiting_for_nodes_since)}`;
  }
  if (row.waiting_for_launch_since != null) return `waiting-for-launch: at the endpoint since ${isoOrNull(row.waiting_for_launch_since)}, its workers busy`;
  // Running: nothing to wait for, unless the endpoint holding it went away.
  if (ep.state !== 'online') return `running: endpoint ${ep.state} since ${ep.state_since}; the task runs again elsewhere once its lease expires`;
  return null;
}

const LOSS_OUTCOMES: Record<string, string> = { EndpointLost: 'lease expired', WorkerLost: 'worker lost', [LEASE_RETURNED]: 'handed back' };
const FINAL_OUTCOMES: Record<string, string> = { [SUCCESS]: 'completed', [FAILED]: 'failed', [CANCELLED]: 'cancelled', [RUNNING]: 'running' };

function historyOf(row: ExplainedRow): AttemptOutcome[] {
  const history: AttemptOutcome[] = parseStored<AttemptRecord[]>(row.attempt_history, []).map((past) => ({
    attempt: past.attempt,
    started_at: past.leased_at,
    ended_at: past.ended_at,
    outcome: LOSS_OUTCOMES[past.reason] ?? past.reason,
    detail: past.message ?? null,
  }));
  // The attempt under way, or the one that ended the task (a loss past the retry limit is already listed).
  const lastListedEnd = history.at(-1)?.ended_at;
  const endedByLoss = row.state === FAILED && row.completed_at != null && lastListedEnd === isoOrNull(row.completed_at);
  if (row.leased_at != null && row.state !== WAITING && !endedByLoss) {
    const exception = row.exception ? parseStored<TaskException | null>(row.exception, null) : null;
    history.push({
      attempt: Number(row.attempts),
      started_at: isoOrNull(row.leased_at),
      ended_at: isoOrNull(row.completed_at),
      outcome: FINAL_OUTCOMES[row.state] ?? row.state,
      detail: exception ? `${exception.type}: ${exception.message}` : null,
    });
  }
  return history;
}
