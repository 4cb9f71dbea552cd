/**
 * Starting one per-user endpoint process as its account: prlimit (when limits
 * are set) runs the launcher (launcher.ts) as root with a clean environment
 * built from the account alone (HOME, USER, LOGNAME, SHELL, PATH, the
 * administrator's `environment`), never the multi-user endpoint's own; the
 * launcher drops to the account. Output goes to the administrator's per-user
 * log. The process gets its own process group, so stopping it reaches its
 * workers too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { LaunchOrders } from './launchOrders.js';
import type { LocalAccount } from './accounts.js';
import type { ResourceLimits } from './settings.js';
import { AUDIT_LOG_FD_ENV } from '../auditLog.js';
import { selfCommand } from '../selfCommand.js';

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export function userEnvironment(account: LocalAccount, funcxHome: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: DEFAULT_PATH,
    LANG: 'C.UTF-8',
    ...extra,
    // Who the process is, after the administrator's additions: these are not theirs to change.
    HOME: account.home,
    USER: account.name,
    LOGNAME: account.name,
    SHELL: account.shell,
    FUNCX_HOME: funcxHome,
  };
}

export function prlimitArgs(limits: ResourceLimits): string[] {
  return Object.entries(limits)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `--${name}=${value}:${value}`);
}

export function spawnUserEndpoint(input: {
  account: LocalAccount;
  orders: LaunchOrders;
  limits: ResourceLimits;
  environment: Record<string, string>;
  logFile: string;
  /** The multi-user endpoint's audit log (root's), handed down as descriptor 3 before the launcher drops privileges. */
  auditLogFd?: number;
}): ChildProcess {
  const env = userEnvironment(input.account, input.orders.funcxHome, input.environment);
  if (input.auditLogFd !== undefined) env[AUDIT_LOG_FD_ENV] = '3';
  const limits = prlimitArgs(input.limits);
  const launcher = selfCommand('user-launcher');
  const [command, args] = limits.length > 0
    ? ['prlimit', [...limits, '--', launcher.command, ...launcher.args]]
    : [launcher.command, launcher.args];
  mkdirSync(path.dirname(input.logFile), { recursive: true, mode: 0o700 });
  const log = openSync(input.logFile, 'a', 0o600);
  try {
    const stdio = input.auditLogFd === undefined ? ['pipe', log, log] : ['pipe', log, log, input.auditLogFd];
    const child = spawn(command, args, { env, cwd: '/', stdio: stdio as ('pipe' | number)[], detached: true });
    child.stdin!.on('error', () => {}); // a launcher that died early: its exit says why
    child.stdin!.end(JSON.stringify(input.orders));
    return child;
  } finally {
    closeSync(log);
  }
}
