/**
 * Which lease an endpoint's credential gets: an ordinary endpoint leases its
 * own queue (leaseTasks); a per-user endpoint leases its user's tasks of its
 * multi-user endpoint (leaseUserTasks); a multi-user endpoint leases nothing,
 * ever: it runs as root, and a task run there would run as root.
 */
import type { Knex } from 'knex';
import { EndpointAccessForbidden } from '../errors.js';
import { leaseTasks, type LeasedTask, type LeaseInput as TaskLeaseInput } from './leaseTasks.js';
import { leaseUserTasks } from './leaseUserTasks.js';
import type { EndpointPrincipal } from '../auth/principal.js';

/** The wake-up keys' endpoints a lease long-poll listens on: its own, and a per-user endpoint's parent (where its tasks are submitted). */
export function leaseQueues(endpoint: EndpointPrincipal): string[] {
  return endpoint.userEndpointOf ? [endpoint.endpointId, endpoint.userEndpointOf.parentId] : [endpoint.endpointId];
}

/** A lease's terms, as leaseTasks takes them, for whichever endpoint the credential names. */
export type LeaseInput = Omit<TaskLeaseInput, 'endpointId'>;

/** One look for work, for one endpoint. */
export type EndpointLease = (db: Knex, input: LeaseInput) => Promise<LeasedTask[]>;

/**
 * How this endpoint's credential leases, decided once per lease request before its poll starts
 * (the poll may then look several times): a multi-user endpoint is refused here, and only here.
 */
export function leaseFor(endpoint: EndpointPrincipal): EndpointLease {
  if (endpoint.multiUser) {
    throw new EndpointAccessForbidden('a multi-user endpoint runs no task itself; its per-user endpoints lease its tasks');
  }
  const scope = endpoint.userEndpointOf;
  if (!scope) return (db, input) => leaseTasks(db, { endpointId: endpoint.endpointId, ...input });
  return (db, input) => leaseUserTasks(db, { endpointId: endpoint.endpointId, parentId: scope.parentId, identity: scope.identity, userConfigKey: scope.userConfigKey, ...input });
}
