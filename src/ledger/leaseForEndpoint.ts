/**
 * Which lease an endpoint's credential gets: an ordinary endpoint leases its
 * own queue (leaseTasks); a per-user endpoint leases its user's tasks of its
 * multi-user endpoint (leaseUserTasks); a multi-user endpoint leases nothing,
 * ever: it runs as root, and a task run there would run as root.
 */
import type { Knex } from 'knex';
import { EndpointAccessForbidden } from '../errors.js';
import { leaseTasks, type LeasedTask } from './leaseTasks.js';
import { leaseUserTasks } from './leaseUserTasks.js';
import type { EndpointPrincipal } from '../auth/principal.js';

export function refuseMultiUserLease(endpoint: EndpointPrincipal): void {
  if (endpoint.multiUser) {
    throw new EndpointAccessForbidden('a multi-user endpoint runs no task itself; its per-user endpoints lease its tasks');
  }
}

/** The wake-up keys' endpoints a lease long-poll listens on: its own, and a per-user endpoint's parent (where its tasks are submitted). */
export function leaseQueues(endpoint: EndpointPrincipal): string[] {
  return endpoint.userEndpointOf ? [endpoint.endpointId, endpoint.userEndpointOf.parentId] : [endpoint.endpointId];
}

export function leaseForEndpoint(db: Knex, endpoint: EndpointPrincipal, input: { maxTasks: number; leaseMs: number; session?: string; maxBytes?: number }): Promise<LeasedTask[]> {
  refuseMultiUserLease(endpoint);
  const scope = endpoint.userEndpointOf;
  if (!scope) return leaseTasks(db, { endpointId: endpoint.endpointId, ...input });
  return leaseUserTasks(db, { endpointId: endpoint.endpointId, parentId: scope.parentId, identity: scope.identity, userConfigKey: scope.userConfigKey, ...input });
}
