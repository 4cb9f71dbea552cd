/** The multi-user endpoint's own calls to the service (src/http/routes/multiUser.ts), with its credential. */
import { ServiceClient } from '../client.js';
import type { UserDemandResponse } from '@funcx-ts/shared/wire/user-demand-response.js';
import type { UserEndpointCreateResponse } from '@funcx-ts/shared/wire/user-endpoint-create-response.js';
import type { UserTasksFailRequest } from '@funcx-ts/shared/wire/user-tasks-fail.js';

export type DemandGroup = UserDemandResponse['users'][number];

export class MultiUserClient extends ServiceClient {
  userDemand(credential: string, endpointId: string, body: { wait_s: number; serving: string[] }, signal?: AbortSignal): Promise<UserDemandResponse> {
    return this.call('POST', `v3/endpoints/${endpointId}/user_demand`, credential, body, body.wait_s * 1000 + 30_000, signal);
  }

  issueUserEndpoint(credential: string, endpointId: string, body: { identity: string; user_config_key: string; local_user: string }): Promise<UserEndpointCreateResponse> {
    return this.call('POST', `v3/endpoints/${endpointId}/user_endpoints`, credential, body, 30_000);
  }

  failUserTasks(credential: string, endpointId: string, body: UserTasksFailRequest): Promise<{ failed_tasks: string[] }> {
    return this.call('POST', `v3/endpoints/${endpointId}/user_demand/fail`, credential, body, 30_000);
  }
}
