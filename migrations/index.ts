/**
 * Every migration, in order. Knex reads them from this list (not by scanning a
 * folder), so the compiled package cannot pick up stray files. Add new ones at the end.
 */
import type { Knex } from 'knex';
import * as initial from './20261125000000_initial.js';
import * as actions from './20261125160000_actions.js';
import * as taskWaitingForNodes from './20261125172500_task_waiting_for_nodes.js';
import * as heartbeatReportsMediumtext from './20261125180000_heartbeat_reports_mediumtext.js';
import * as multiUserEndpoints from './20261130161000_multi_user_endpoints.js';
import * as functionCodeSerializer from './20261130121000_function_code_serializer.js';
import * as taskResourceSpecification from './20261130151000_task_resource_specification.js';
import * as wakeupEvents from './20261130141000_wakeup_events.js';
import * as rateLimits from './20261130141500_rate_limits.js';
import * as functionContainerImage from './20261130151500_function_container_image.js';
import * as leaseSession from './20261130171000_lease_session.js';
import * as taskUserRuntime from './20261206150000_task_user_runtime.js';
import * as apiTokenExpiry from './20261206150000_api_token_expiry.js';
import * as endpointStateTaskOutput from './20261206150000_endpoint_state_task_output.js';
import * as taskListingIndexes from './20261206150000_task_listing_indexes.js';
import * as endpointActivity from './20261206153000_endpoint_activity.js';
import * as credentialRevocations from './20261207060000_credential_revocations.js';
import * as sqlitePartialTaskIndexes from './20261207070000_sqlite_partial_task_indexes.js';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  { name: '20261125000000_initial', ...initial },
  { name: '20261125160000_actions', ...actions },
  { name: '20261125172500_task_waiting_for_nodes', ...taskWaitingForNodes },
  { name: '20261125180000_heartbeat_reports_mediumtext', ...heartbeatReportsMediumtext },
  { name: '20261130161000_multi_user_endpoints', ...multiUserEndpoints },
  { name: '20261130121000_function_code_serializer', ...functionCodeSerializer },
  // Listed last although named earlier: a database that already ran the ones above runs this next.
  { name: '20261130151000_task_resource_specification', ...taskResourceSpecification },
  { name: '20261130141000_wakeup_events', ...wakeupEvents },
  { name: '20261130141500_rate_limits', ...rateLimits },
  { name: '20261130151500_function_container_image', ...functionContainerImage },
  { name: '20261130171000_lease_session', ...leaseSession },
  { name: '20261206150000_task_user_runtime', ...taskUserRuntime },
  { name: '20261206150000_api_token_expiry', ...apiTokenExpiry },
  { name: '20261206150000_endpoint_state_task_output', ...endpointStateTaskOutput },
  { name: '20261206150000_task_listing_indexes', ...taskListingIndexes },
  { name: '20261206153000_endpoint_activity', ...endpointActivity },
  { name: '20261207060000_credential_revocations', ...credentialRevocations },
  { name: '20261207070000_sqlite_partial_task_indexes', ...sqlitePartialTaskIndexes },
];
