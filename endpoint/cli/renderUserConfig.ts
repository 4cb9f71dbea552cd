/**
 * `funcx-endpoint render-user-config NAME [--user-options JSON]
 * [--user-runtime JSON] [--mapped-identity USER]`: renders a multi-user
 * endpoint's user config template offline, exactly as the running endpoint
 * would for a submit with those values (schema, JSON-encoding, Jinja, YAML,
 * the endpoint config schema), and prints the per-user config.yaml, or the
 * refusal the submitter would read (with its template line). Nothing starts
 * and nothing is sent to the service.
 */
import os from 'node:os';
import YAML from 'yaml';
import { EndpointConfigError, loadEndpointConfig } from '../config.js';
import { isMultiUser, loadMultiUserSettings } from '../multiUser/settings.js';
import { lookupAccount } from '../multiUser/accounts.js';
import { mappedIdentity, userEndpointConfig } from '../multiUser/userEndpointConfig.js';
import { UserConfigInvalid } from '../multiUser/userConfig.js';
import { TemplateUnavailable } from '../multiUser/jinjaUserConfig.js';
import type { EndpointPaths } from '../paths.js';

export interface RenderUserConfigOptions {
  userOptions?: string;
  userRuntime?: string;
  mappedIdentity?: string;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: Io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** Exit 0 with the config on stdout; 1 with the refusal on stderr; 2 for a bad argument. */
export async function renderUserConfig(paths: EndpointPaths, options: RenderUserConfigOptions, io: Io = consoleIo): Promise<number> {
  if (!isMultiUser(paths)) {
    io.err(`${paths.name} has no user config template: it is not a multi-user endpoint (no ${paths.dir}/multi_user.yaml)\n`);
    return 1;
  }
  const values = jsonObject('--user-options', options.userOptions, io);
  const runtime = jsonObject('--user-runtime', options.userRuntime, io);
  if (values === undefined || runtime === undefined) return 2;
  const user = options.mappedIdentity ?? os.userInfo().username;
  const account = await lookupAccount(user);
  if (!account) {
    io.err(`--mapped-identity: "${user}" is no local account\n`);
    return 2;
  }
  try {
    const settings = loadEndpointConfig(paths);
    const multi = loadMultiUserSettings(paths);
    const rendered = await multi.template.render(values ?? {}, {
      parentConfig: multi.parentConfig,
      userRuntime: runtime,
      mappedIdentity: { ...(await mappedIdentity(account, '')), globus: { id: null } },
    });
    io.out(YAML.stringify(userEndpointConfig(rendered, settings, multi)));
    return 0;
  } catch (error) {
    if (error instanceof UserConfigInvalid) io.err(`UserEndpointConfigInvalid: ${error.message}\n`);
    else if (error instanceof TemplateUnavailable || error instanceof EndpointConfigError) io.err(`${error.message}\n`);
    else throw error;
    return 1;
  }
}

/** null: not given; undefined: given but no JSON object (said on stderr). */
function jsonObject(flag: string, text: string | undefined, io: Io): Record<string, unknown> | null | undefined {
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // said below
  }
  io.err(`${flag}: expected a JSON object, got ${JSON.stringify(text.slice(0, 200))}\n`);
  return undefined;
}
