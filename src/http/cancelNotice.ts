/**
 * Telling the right waiters that tasks were cancelled: those waiting on the
 * task (POST /v3/tasks/wait) and the cancel watch of the endpoint it was on
 * (POST /v3/endpoints/{id}/cancels, routes/endpointCancels.ts), so an agent
 * running it stops it within a moment, not at its next heartbeat. Wake-ups,
 * so the replica relay carries them to a watch held by another replica.
 */
import { taskKey, type Wakeups } from '../wakeups.js';

export const endpointCancelKey = (endpointId: string) => `cancel:${endpointId}`;

export function announceCancelled(wakeups: Wakeups, tasks: readonly { taskId: string; endpointId: string }[]): void {
  for (const { taskId } of tasks) wakeups.notify(taskKey(taskId));
  for (const endpointId of new Set(tasks.map((t) => t.endpointId))) wakeups.notify(endpointCancelKey(endpointId));
}
