/**
 * Where an endpoint keeps its files: $FUNCX_HOME/NAME/ (FUNCX_HOME defaults to ~/.funcx).
 *   config.yaml    what `configure` wrote; the user edits it
 *   endpoint.json  id and credential from registration (mode 0600)
 *   endpoint.pid   the running agent's pid
 *   endpoint.session  the running (or last) agent run's session id, and earlier ones not yet reconciled
 *   endpoint.log   the agent's log when detached
 *   spool/         results not yet acknowledged by the service
 *   tasks/         per-task working folders (shell runtime)
 *   manager.secret what worker managers authenticate with (mode 0600; blocks only)
 *   blocks/        per block: job script, manager config (0600), the job's output log
 */
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@funcx-ts/shared/cli/commandTable.js';

export function funcxHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FUNCX_HOME || path.join(os.homedir(), '.funcx'));
}

export interface EndpointPaths {
  name: string;
  dir: string;
  config: string;
  identity: string;
  pidfile: string;
  session: string;
  log: string;
  spool: string;
  tasks: string;
  managerSecret: string;
  blocks: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function endpointPaths(name: string, home = funcxHome()): EndpointPaths {
  if (!NAME.test(name)) throw new UsageError(`"${name}" is not a valid endpoint name (letters, digits, . _ -; up to 128)`);
  const dir = path.join(home, name);
  return {
    name,
    dir,
    config: path.join(dir, 'config.yaml'),
    identity: path.join(dir, 'endpoint.json'),
    pidfile: path.join(dir, 'endpoint.pid'),
    session: path.join(dir, 'endpoint.session'),
    log: path.join(dir, 'endpoint.log'),
    spool: path.join(dir, 'spool'),
    tasks: path.join(dir, 'tasks'),
    managerSecret: path.join(dir, 'manager.secret'),
    blocks: path.join(dir, 'blocks'),
  };
}
