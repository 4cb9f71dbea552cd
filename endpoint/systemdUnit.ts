/**
 * The systemd unit that starts an endpoint on boot (`funcx-endpoint enable-on-boot NAME`), as
 * upstream's `globus-compute-endpoint enable-on-boot` does, with one difference: it restarts the
 * agent after a crash (Restart=on-failure) but not after the service refused its credential
 * (exit 3, RestartPreventExitStatus), which no restart can fix.
 *
 * User mode (the default): ~/.config/systemd/user, started with the user's manager (needs
 * `loginctl enable-linger USER` to start at boot without a login). System mode (--system, as
 * root): /etc/systemd/system, with User= the endpoint's owner.
 */
import os from 'node:os';
import path from 'node:path';
import { EXIT_CREDENTIAL_REFUSED } from './errors.js';

export interface UnitPlan {
  /** funcx-endpoint-NAME.service */
  unitName: string;
  unitFile: string;
  system: boolean;
}

export function unitName(endpointName: string): string {
  return `funcx-endpoint-${endpointName}.service`;
}

/** Where the unit goes: the user's unit folder ($XDG_CONFIG_HOME/systemd/user), or the system's. */
export function unitPlan(endpointName: string, system: boolean, env: NodeJS.ProcessEnv = process.env): UnitPlan {
  const dir = system ? '/etc/systemd/system' : path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'systemd', 'user');
  return { unitName: unitName(endpointName), unitFile: path.join(dir, unitName(endpointName)), system };
}

/** One word of ExecStart=, quoted as systemd reads it (and % doubled: systemd expands %-specifiers). */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  return /^[\w@%+=:,./-]+$/.test(word) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An Environment= assignment, quoted as a whole. */
function environmentLine(name: string, value: string): string {
  return `Environment=${systemdWord(`${name}=${value}`)}`;
}

export function unitText(input: {
  endpointName: string;
  /** The program and its arguments up to (not including) `start NAME`: node, its flags, the CLI file. */
  command: readonly string[];
  funcxHome: string;
  system: boolean;
  /** System mode: the account the agent runs as. */
  runAs?: string;
}): string {
  const start = [...input.command, 'start', input.endpointName].map(systemdWord).join(' ');
  return [
    '# Written by `funcx-endpoint enable-on-boot`; removed by `funcx-endpoint disable-on-boot`.',
    '[Unit]',
    `Description=funcX-TS endpoint "${input.endpointName}"`,
    'After=network-online.target',
    'Wants=network-online.target',
    // Keep trying after repeated crashes (a service down for a while), one attempt every RestartSec.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    ...(input.system && input.runAs ? [`User=${input.runAs}`] : []),
    environmentLine('FUNCX_HOME', input.funcxHome),
    // The agent logs to the journal; NO_COLOR keeps escape codes out of it.
    environmentLine('NO_COLOR', '1'),
    `ExecStart=${start}`,
    // SIGTERM: stop leasing, let running tasks finish within grace_period, post the results.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=300',
    'Restart=on-failure',
    'RestartSec=5',
    `# Exit ${EXIT_CREDENTIAL_REFUSED}: the service refused the endpoint's credential (deleted, or rotated); a restart cannot fix that.`,
    `RestartPreventExitStatus=${EXIT_CREDENTIAL_REFUSED}`,
    '',
    '[Install]',
    `WantedBy=${input.system ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}
