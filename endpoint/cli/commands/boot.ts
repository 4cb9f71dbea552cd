/**
 * `funcx-endpoint enable-on-boot NAME [--system [--run-as USER]]` and `disable-on-boot NAME
 * [--system]`: write (or remove) a systemd unit for the endpoint (endpoint/systemdUnit.ts),
 * then ask systemctl to reload and enable (or disable and stop) it. The unit file is the
 * outcome; systemctl is asked when it can be run, and when it cannot (no systemd, no user
 * session) the command says so and prints what to run, and still exits 0: the unit is in place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optionString, UsageError, type RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { selfCommandLine } from '../../selfCommand.js';
import { readIdentity } from '../../identity.js';
import { endpointPaths, funcxHome } from '../../paths.js';
import { unitPlan, unitText, type UnitPlan } from '../../systemdUnit.js';


/** Runs `systemctl [--user] ARGS` when possible; the problem in words when not. */
function systemctl(plan: UnitPlan, args: string[]): string | undefined {
  const result = spawnSync('systemctl', [...(plan.system ? [] : ['--user']), ...args], { encoding: 'utf8', timeout: 60_000 });
  if (result.error) return (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemctl is not installed' : result.error.message;
  if (result.status !== 0) return (result.stderr || result.stdout).trim() || `exit ${result.status}`;
  return undefined;
}

function runSystemctl(plan: UnitPlan, steps: string[][]): void {
  for (const step of steps) {
    const problem = systemctl(plan, step);
    if (problem) {
      const prefix = plan.system ? 'systemctl' : 'systemctl --user';
      console.error(`funcx-endpoint: could not run \`${prefix} ${step.join(' ')}\`: ${problem}\nrun these yourself where systemd is running:\n${steps.map((s) => `  ${prefix} ${s.join(' ')}`).join('\n')}`);
      return;
    }
  }
  console.error(`funcx-endpoint: systemctl${plan.system ? '' : ' --user'} ${steps.map((s) => s[0]).join(', ')}: done`);
}

function checkSystemMode(values: Record<string, unknown>): boolean {
  const system = values.system === true;
  if (system && process.getuid?.() !== 0) throw new UsageError('--system writes to /etc/systemd/system: run it as root (without --system: a user unit)');
  return system;
}

export const enableOnBootCommand: RunnableCommand = {
  name: 'enable-on-boot',
  synopsis: 'NAME [--system [--run-as USER]]',
  summary: 'a systemd unit that starts the endpoint at boot and restarts it after a crash (not after a refused credential); user unit, or --system as root',
  options: { system: { type: 'boolean' }, 'run-as': { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(values, [name]) {
    const system = checkSystemMode(values);
    const paths = endpointPaths(name);
    if (!existsSync(paths.config)) {
      console.error(`funcx-endpoint: no endpoint "${name}" in ${funcxHome()}; configure it first: funcx-endpoint configure ${name}`);
      return 1;
    }
    const plan = unitPlan(name, system);
    const runAs = optionString(values, 'run-as') ?? process.env.SUDO_USER ?? os.userInfo().username;
    mkdirSync(path.dirname(plan.unitFile), { recursive: true });
    writeFileSync(plan.unitFile, unitText({ endpointName: name, command: selfCommandLine('cli'), funcxHome: funcxHome(), system, runAs }), { mode: 0o644 });
    console.log(`wrote ${plan.unitFile}`);
    if (!readIdentity(paths)) {
      console.error(`funcx-endpoint: "${name}" has not registered yet, and the unit has no token to register with: start it once (funcx-endpoint start ${name}) before relying on the unit`);
    }
    runSystemctl(plan, [['daemon-reload'], ['enable', plan.unitName]]);
    if (!system) console.error(`to start it at boot without a login session: loginctl enable-linger ${os.userInfo().username}`);
    return 0;
  },
};

export const disableOnBootCommand: RunnableCommand = {
  name: 'disable-on-boot',
  synopsis: 'NAME [--system]',
  summary: 'disable and stop the unit enable-on-boot wrote, and remove it',
  options: { system: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(values, [name]) {
    const system = checkSystemMode(values);
    endpointPaths(name); // the name is checked as everywhere
    const plan = unitPlan(name, system);
    if (!existsSync(plan.unitFile)) {
      console.error(`funcx-endpoint: "${name}" is not enabled on boot (no ${plan.unitFile})`);
      return 1;
    }
    runSystemctl(plan, [['disable', '--now', plan.unitName]]);
    rmSync(plan.unitFile);
    console.log(`removed ${plan.unitFile}`);
    runSystemctl(plan, [['daemon-reload']]);
    return 0;
  },
};
