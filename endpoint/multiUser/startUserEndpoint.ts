/**
 * Starting the per-user endpoint for one (user, settings) with work waiting, as
 * named steps: resolve the identity to a local account → render the template
 * into the user's settings → check them as a whole endpoint config → get the
 * per-user endpoint's credential from the service → spawn it as the account.
 * A step that refuses names the error type the user's waiting tasks fail with
 * (IdentityNotMapped, UserEndpointConfigInvalid, UserEndpointFailed), and
 * nothing is started.
 */
import path from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';
import { ConfigValidator } from '../configValidator.js';
import { mapIdentity } from './mapping.js';
import { targetAccount, type LocalAccount } from './accounts.js';
import { mappedIdentity, userEndpointConfig } from './userEndpointConfig.js';
import { UserConfigInvalid } from './userConfig.js';
import { TemplateUnavailable } from './jinjaUserConfig.js';
import { spawnUserEndpoint } from './userProcess.js';
import { LAUNCH_FAILED } from './launchOrders.js';
import type { DemandGroup, MultiUserClient } from './client.js';
import type { MultiUserSettings } from './settings.js';
import type { EndpointSettings } from '../config.js';

/** Where a per-user endpoint keeps its files, under the account's home. */
export const USER_FUNCX_HOME = '.funcx/multi-user';

export type RefusalType = 'IdentityNotMapped' | 'UserEndpointConfigInvalid' | 'UserEndpointFailed';

/** Why the user's waiting tasks fail. */
export interface Refusal {
  refused: RefusalType;
  message: string;
}

export interface StartContext {
  settings: EndpointSettings;
  multi: MultiUserSettings;
  client: MultiUserClient;
  endpointId: string;
  credential: string;
  /** Not run by root: every per-user endpoint runs as this account, with no identity mapping. */
  runAs?: LocalAccount;
  validator: ConfigValidator;
  /** The administrator's log of each account's per-user endpoints. */
  userLog: (localUser: string) => string;
  /** The multi-user endpoint's audit log, handed down to each per-user endpoint. */
  auditLogFd?: number;
  log: Logger;
}

export interface StartedUserEndpoint {
  endpointId: string;
  account: LocalAccount;
  /** The identity-mapping rule that matched (none when run as one account). */
  rule: string | undefined;
  child: ChildProcess;
  /** How it exited: code and signal of its close. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Size of the user's log before it started: what follows is its own. */
  logStart: number;
}

export async function startUserEndpoint(group: DemandGroup, ctx: StartContext): Promise<StartedUserEndpoint | Refusal> {
  const resolved = await resolveAccount(group, ctx);
  if ('refused' in resolved) return resolved;
  const settings = await renderUserSettings(group, resolved.account, ctx);
  if ('refused' in settings) return settings;
  const config = checkUserConfig(settings.rendered, ctx);
  if ('refused' in config) return config;
  const issued = await issueCredential(group, resolved.account, ctx);
  return { ...spawnAsAccount(resolved.account, issued, config.config, ctx), rule: resolved.rule };
}

/** 1. The local account the identity maps to (or the one account everything runs as). */
export async function resolveAccount(group: DemandGroup, ctx: Pick<StartContext, 'multi' | 'runAs'>): Promise<{ account: LocalAccount; rule: string | undefined } | Refusal> {
  if (ctx.runAs) return { account: ctx.runAs, rule: undefined };
  const mapped = await mapIdentity({ identity: group.identity, claims: group.claims as Record<string, string> }, ctx.multi.mapping);
  if (!mapped.mapped) return { refused: 'IdentityNotMapped', message: mapped.reason };
  const target = await targetAccount(mapped.localUser, ctx.multi.uidFloor);
  if (!target.ok) return { refused: 'IdentityNotMapped', message: target.reason };
  return { account: target.account, rule: mapped.rule };
}

/** 2. The template rendered with the user's values (user_endpoint_config, user_runtime) and account. */
export async function renderUserSettings(group: DemandGroup, account: LocalAccount, ctx: Pick<StartContext, 'multi'>): Promise<{ rendered: Record<string, unknown> } | Refusal> {
  try {
    return {
      rendered: await ctx.multi.template.render(group.user_endpoint_config, {
        parentConfig: ctx.multi.parentConfig,
        userRuntime: group.user_runtime ?? null,
        mappedIdentity: await mappedIdentity(account, group.identity),
      }),
    };
  } catch (error) {
    return refusalOf(error);
  }
}

/** 3. The rendered settings completed with what is never the user's, and checked as a whole endpoint config. */
export function checkUserConfig(rendered: Record<string, unknown>, ctx: Pick<StartContext, 'multi' | 'settings' | 'validator'>): { config: Record<string, unknown> } | Refusal {
  try {
    return { config: userEndpointConfig(rendered, ctx.settings, ctx.multi, ctx.validator) };
  } catch (error) {
    return refusalOf(error);
  }
}

/** A bad template or settings refuse the user's tasks; anything else is the endpoint's own failure. */
function refusalOf(error: unknown): Refusal {
  if (error instanceof UserConfigInvalid) return { refused: 'UserEndpointConfigInvalid', message: error.message };
  if (error instanceof TemplateUnavailable) return { refused: 'UserEndpointFailed', message: error.message };
  throw error;
}

/** 4. The per-user endpoint's registration and credential, from the service. */
function issueCredential(group: DemandGroup, account: LocalAccount, ctx: Pick<StartContext, 'client' | 'credential' | 'endpointId'>) {
  return ctx.client.issueUserEndpoint(ctx.credential, ctx.endpointId, {
    identity: group.identity, user_config_key: group.user_config_key, local_user: account.name,
  });
}

/** 5. The per-user endpoint's process as the account; its close and a failure to start are watched from the first moment. */
function spawnAsAccount(
  account: LocalAccount,
  issued: { endpoint_id: string; name: string; credential: string },
  config: Record<string, unknown>,
  ctx: StartContext,
): Omit<StartedUserEndpoint, 'rule'> {
  const { multi, settings } = ctx;
  const child = spawnUserEndpoint({
    account,
    orders: {
      user: account.name, uid: account.uid, gid: account.gid, home: account.home, umask: multi.umask,
      funcxHome: path.join(account.home, USER_FUNCX_HOME),
      endpointName: issued.name,
      config,
      identity: { endpoint_id: issued.endpoint_id, credential: issued.credential, service_url: settings.serviceUrl },
    },
    limits: multi.limits,
    environment: multi.environment,
    logFile: ctx.userLog(account.name),
    ...(ctx.auditLogFd !== undefined ? { auditLogFd: ctx.auditLogFd } : {}),
  });
  const logStart = sizeOf(ctx.userLog(account.name));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.once('error', (error) => ctx.log.error({ err: error.message }, 'could not start the per-user endpoint'));
  return { endpointId: issued.endpoint_id, account, child, exited, logStart };
}

/**
 * Why a per-user endpoint's exit fails its user's tasks, or undefined: a clean exit (idle) or a
 * kill is no failure (its tasks, if any, come back as demand); anything else (could not become
 * the user, bad config, crash) is the user's to see, with the last lines of its log.
 */
export function exitFailure(code: number | null, logFile: string, logStart: number): string | undefined {
  if (code === 0 || code === null) return undefined;
  const why = code === LAUNCH_FAILED ? 'could not start as the local account' : `exited with code ${code}`;
  const tail = tailOf(logFile, logStart);
  return `the per-user endpoint ${why}${tail ? `: ${tail}` : ''}`;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last lines a failed per-user endpoint wrote (its own log, which only the administrator reads otherwise). */
function tailOf(file: string, from: number): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8').trim();
    const lines = text.split('\n').slice(-3).map((line) => {
      try {
        const parsed = JSON.parse(line) as { msg?: string; err?: unknown };
        return [parsed.msg, typeof parsed.err === 'string' ? parsed.err : undefined].filter(Boolean).join(': ');
      } catch {
        return line;
      }
    });
    return lines.join(' | ').slice(-1500);
  } catch {
    return '';
  }
}
