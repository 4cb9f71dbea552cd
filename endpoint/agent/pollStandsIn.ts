/**
 * When the open lease poll stands for a heartbeat. The service counts each poll that reaches it
 * as a sign of life (src/registry/pollSightings.ts) and says so in its lease answers
 * (idle_heartbeat_s), so an idle agent need not repeat its report every heartbeat_period: an
 * idle fleet's heartbeats were most of what it cost the service.
 *
 * A heartbeat is skipped only when it would carry nothing: no lease to renew (nothing held,
 * no result the service has not acknowledged), the same report the service last accepted, and
 * a poll open now that began recently enough to have reached the service (one older than its
 * wait plus POLL_STANDS_IN_SLACK_MS is stuck somewhere, a proxy perhaps, and proves nothing).
 * Even then one goes at least every idle_heartbeat_s. A change of anything the report says
 * (workers, blocks, the audit log failing) makes the heartbeat go at once, as it always did.
 */

/** How much longer than its wait an open poll may take and still stand for a heartbeat. */
export const POLL_STANDS_IN_SLACK_MS = 5_000;

export interface OpenPoll {
  /** Date.now() when the poll was sent. */
  startedAt: number;
  /** The idle_heartbeat_s of the previous lease answer; undefined when the service did not say it. */
  idleHeartbeatS: number | undefined;
}

export interface LastHeartbeat {
  /** Date.now() when it was sent. */
  at: number;
  /** The report it carried (without leases), as sent. */
  report: string;
}

export interface HeartbeatDue {
  poll: OpenPoll | undefined;
  pollWaitMs: number;
  last: LastHeartbeat | undefined;
  report: string;
  leases: number;
  unacknowledged: number;
  now: number;
}

export function pollStandsIn(due: HeartbeatDue): boolean {
  const { poll, last } = due;
  if (!poll || poll.idleHeartbeatS === undefined || !last) return false;
  if (due.leases > 0 || due.unacknowledged > 0) return false;
  if (due.report !== last.report) return false;
  if (due.now - poll.startedAt > due.pollWaitMs + POLL_STANDS_IN_SLACK_MS) return false;
  return due.now - last.at < poll.idleHeartbeatS * 1000;
}
