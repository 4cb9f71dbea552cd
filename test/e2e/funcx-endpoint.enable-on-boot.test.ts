/**
 * `funcx-endpoint enable-on-boot NAME` writes a systemd user unit that systemd accepts
 * (systemd-analyze verify), whose ExecStart is a working `funcx-endpoint start NAME` in the
 * foreground: run as the unit says against a service that has deleted the endpoint, it exits
 * with exactly the status the unit names in RestartPreventExitStatus (a crash is restarted,
 * a refused credential is not). `disable-on-boot` removes the unit. systemd is not running
 * here, so systemctl's part is only reported, never required.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { runEndpointCli, startEndpointProcess } from '../helpers/endpointProcess.js';
import { systemdWord } from '../../endpoint/systemdUnit.js';

/** The words of an ExecStart= or Environment= value, unquoted and %% undone, as systemd reads them (enough for what the unit writes). */
function systemdWords(value: string): string[] {
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]).replace(/%%/g, '%'));
}

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('systemd words: spaces are quoted, % is doubled, plain paths stay as they are', (t) => {
  t.is(systemdWord('/usr/bin/node'), '/usr/bin/node');
  t.is(systemdWord('/home/a b/x'), '"/home/a b/x"');
  t.is(systemdWord('50%'), '50%%');
  t.deepEqual(systemdWords(`${systemdWord('/a b/"q"')} ${systemdWord('x%y')}`), ['/a b/"q"', 'x%y']);
});

test('enable-on-boot writes a unit whose ExecStart runs the agent and exits with the status it does not restart on; disable-on-boot removes it', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  // A FUNCX_HOME with a space and a % in it: the unit must quote it as systemd reads it.
  const home = path.join(live.database.dir, 'endpoint home 100%');
  const endpoint = await startEndpointProcess(t, live, { name: 'boot', home });
  endpoint.signal('SIGTERM');
  t.is(await endpoint.exited, 0);
  const userHome = path.join(live.database.dir, 'user');
  mkdirSync(userHome);
  const env = { HOME: userHome, XDG_CONFIG_HOME: '' };

  const enabled = await runEndpointCli(home, ['enable-on-boot', 'boot'], env);
  t.is(enabled.code, 0, enabled.stderr);
  const unitFile = path.join(userHome, '.config', 'systemd', 'user', 'funcx-endpoint-boot.service');
  t.is(enabled.stdout.trim(), `wrote ${unitFile}`);
  // systemctl either did its part or the command said it could not, and what to run instead.
  t.regex(enabled.stderr, /systemctl --user daemon-reload, enable: done|could not run `systemctl --user daemon-reload`[^]*systemctl --user enable funcx-endpoint-boot\.service/);
  const unit = readFileSync(unitFile, 'utf8');
  const setting = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);
  t.deepEqual(setting('Restart'), ['on-failure']);
  t.deepEqual(setting('WantedBy'), ['default.target']);
  t.deepEqual(setting('User'), [], 'a user unit names no User=');
  const environment = Object.fromEntries(setting('Environment').flatMap(systemdWords).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  t.is(environment.FUNCX_HOME, home);
  const [execStart] = setting('ExecStart').map(systemdWords);
  t.deepEqual(execStart.slice(-2), ['start', 'boot']);
  t.false(execStart.includes('--detach'), 'in the foreground, as systemd supervises it');
  if (hasAnalyze) {
    const verified = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    t.is(verified.status, 0, verified.stderr);
  }

  // The endpoint deleted on the service: its credential is refused. Run exactly what the unit runs.
  t.is((await live.call('DELETE', `/v3/endpoints/${endpoint.endpointId}`)).status, 200);
  const child = spawn(execStart[0], execStart.slice(1), { env: { PATH: process.env.PATH, ...environment }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.teardown(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  });
  const status = await exited;
  t.deepEqual(setting('RestartPreventExitStatus'), [String(status)], output);
  t.is(status, 3, output);

  const disabled = await runEndpointCli(home, ['disable-on-boot', 'boot'], env);
  t.is(disabled.code, 0, disabled.stderr);
  t.false(existsSync(unitFile));
  t.is((await runEndpointCli(home, ['disable-on-boot', 'boot'], env)).code, 1);
  t.is((await runEndpointCli(home, ['enable-on-boot', 'nonesuch'], env)).code, 1, 'an endpoint that was never configured');
});
