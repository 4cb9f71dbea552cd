/**
 * The per-user endpoint's config.yaml from a rendered template: the rendered
 * settings plus what is never the user's (nor the template's) to set (where
 * the service is, how it is trusted, when to stop idle, and that it is
 * nobody else's, and that it writes no audit log of its own), checked against
 * the endpoint config schema. Shared by the multi-user endpoint
 * (startUserEndpoint.ts) and `funcx-endpoint render-user-config`, so both say
 * the same.
 */
import { ConfigInvalid, ConfigValidator } from '../configValidator.js';
import { groupIdsOf, type LocalAccount } from './accounts.js';
import { UserConfigInvalid } from './userConfig.js';
import type { MappedIdentity } from './jinjaUserConfig.js';
import type { MultiUserSettings } from './settings.js';
import type { EndpointSettings } from '../config.js';

export function userEndpointConfig(
  rendered: Record<string, unknown>,
  settings: Pick<EndpointSettings, 'serviceUrl' | 'caFile' | 'allowedFunctions'>,
  multi: Pick<MultiUserSettings, 'idleShutdownMs'>,
  validator = new ConfigValidator(),
): Record<string, unknown> {
  const config = {
    ...rendered,
    service_url: settings.serviceUrl,
    ca_file: settings.caFile,
    idle_shutdown_after: `${multi.idleShutdownMs}ms`,
    public: false,
    allowed_groups: [],
    allowed_functions: settings.allowedFunctions,
    audit_log_path: null, // the administrator's log reaches it as a descriptor (auditLog.ts), never a path of the template's
  };
  try {
    return validator.check<Record<string, unknown>>('endpoint-config.json', config);
  } catch (error) {
    if (error instanceof ConfigInvalid) throw new UserConfigInvalid(`the settings make no valid endpoint config: ${error.problems.join('; ')}`);
    throw error;
  }
}

/** The template's _GC.mapped_identity: the local account (as initgroups will set it up) and the service's identity. */
export async function mappedIdentity(account: LocalAccount, identity: string): Promise<MappedIdentity> {
  return {
    local: { uname: account.name, uid: account.uid, gid: account.gid, groups: await groupIdsOf(account), dir: account.home, shell: account.shell, gecos: account.gecos ?? '' },
    globus: { id: identity },
  };
}
