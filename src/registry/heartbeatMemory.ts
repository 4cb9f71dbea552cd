/**
 * What this service instance last wrote for each endpoint's heartbeat, so a
 * heartbeat that changes nothing writes nothing (docs/deployment.md, "idle
 * endpoints"). An idle agent says the same thing every 10 s; storing each
 * one cost a transaction of four statements plus the activity row's two.
 *
 * The stored last-seen time still moves: an unchanged report is written again
 * (one UPDATE, together with the other endpoints' refreshes due: lastSeenRefresh.ts) once the last write is `refreshAfter` old, a quarter of the
 * offline threshold and at most HEARTBEAT_REFRESH_MAX_MS, so every replica
 * sees a live endpoint online and a silent one offline (lost) as before: the
 * stored time lags by at most refreshAfter + one heartbeat period. A changed
 * report, a state the agent reported (stopped, failed) or a silence past the
 * refresh is written at once, as before.
 */
import { onePerDatabase } from '../util/perDatabase.js';
import { MINUTE, SECOND } from '../util/time.js';

/** The longest an unchanged heartbeat goes unwritten. */
export const HEARTBEAT_REFRESH_MAX_MS = 15 * SECOND;
/** Endpoints remembered per instance; past it the oldest are forgotten (their next heartbeat just writes). */
const MAX_REMEMBERED = 200_000;

interface Written {
  /** The stored report text. */
  report: string;
  /** When this instance last wrote it (its own clock: only differences are used). */
  at: number;
  /** The local minute whose activity row this instance wrote, with the report it came from. */
  activityMinute: number;
  activityReport: string;
}

export type HeartbeatWrite = 'full' | 'refresh' | 'none';

export function refreshAfter(offlineAfterMs: number): number {
  return Math.min(HEARTBEAT_REFRESH_MAX_MS, Math.floor(offlineAfterMs / 4));
}

class HeartbeatMemory {
  private readonly written = new Map<string, Written>();

  /** What this heartbeat must write: the whole report and its log entry, only the last-seen time, or nothing. */
  decide(endpointId: string, report: string, offlineAfterMs: number, nowMs: number): HeartbeatWrite {
    const seen = this.written.get(endpointId);
    if (!seen || seen.report !== report) return 'full';
    return nowMs - seen.at < refreshAfter(offlineAfterMs) ? 'none' : 'refresh';
  }

  /** Whether the minute's activity row still needs this report's figures. */
  activityDue(endpointId: string, report: string, nowMs: number): boolean {
    const seen = this.written.get(endpointId);
    return !seen || seen.activityMinute !== Math.floor(nowMs / MINUTE) || seen.activityReport !== report;
  }

  /**
   * Whether an idle agent's poll should refresh the last-seen time (pollSightings.ts): not when
   * this instance wrote it within the refresh age (a heartbeat or an earlier sighting did).
   */
  sightingDue(endpointId: string, offlineAfterMs: number, nowMs: number): boolean {
    const seen = this.written.get(endpointId);
    return !seen || nowMs - seen.at >= refreshAfter(offlineAfterMs);
  }

  /** Whether this minute's activity row is still to be written, whatever the report (a sighting reads the stored one). */
  activityMinuteDue(endpointId: string, nowMs: number): boolean {
    return this.written.get(endpointId)?.activityMinute !== Math.floor(nowMs / MINUTE);
  }

  /** A poll refreshed the last-seen time; the report stays what this instance knew (none: the next heartbeat writes in full). */
  sighted(endpointId: string, nowMs: number): void {
    const seen = this.written.get(endpointId);
    this.wrote(endpointId, seen?.report ?? '', nowMs);
  }

  wrote(endpointId: string, report: string, nowMs: number): void {
    const seen = this.written.get(endpointId);
    this.written.delete(endpointId);
    this.written.set(endpointId, { report, at: nowMs, activityMinute: seen?.activityMinute ?? -1, activityReport: seen?.activityReport ?? '' });
    if (this.written.size > MAX_REMEMBERED) this.written.delete(this.written.keys().next().value as string);
  }

  wroteActivity(endpointId: string, report: string, nowMs: number): void {
    const seen = this.written.get(endpointId);
    if (seen) Object.assign(seen, { activityMinute: Math.floor(nowMs / MINUTE), activityReport: report });
  }

  forget(endpointId: string): void {
    this.written.delete(endpointId);
  }
}

/** One memory per database handle, i.e. per service instance. */
export const heartbeatMemoryOf = onePerDatabase(() => new HeartbeatMemory());
