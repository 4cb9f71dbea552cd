/**
 * `funcx-endpoint start | stop | restart NAME`: run an endpoint in the foreground (as a
 * supervisor such as systemd wants it) or detached with its output in endpoint.log, and stop it
 * gracefully, then forcefully.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { optionString, type RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { sleep } from '@funcx-ts/shared/time.js';
import { endpointPaths, type EndpointPaths } from '../../paths.js';
import { loadEndpointConfig } from '../../config.js';
import { isRecordedProcess, readPidRecord, runningAgentPid } from '../../pidfile.js';
import { readIdentity } from '../../identity.js';
import { EndpointAlreadyRunning, startEndpoint } from '../../run.js';
import { forcedStopAfterMs } from '../stopTimeout.js';
import { isMultiUser } from '../../multiUser/settings.js';
import { startMultiUserEndpoint } from '../../multiUser/run.js';
import { selfCommand } from '../../selfCommand.js';
import { startLogRotation } from '../../logRotation.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { EndpointConfigError } from '../../config.js';
import { CredentialRefused } from '../../errors.js';
import { sayLastWord, whoStopped, writeStopRequest } from '../../lastWord.js';

/** The program itself, which a detached start runs again in the background. */

export const startCommand: RunnableCommand = {
  name: 'start',
  synopsis: 'NAME [--detach] [--service-url URL]',
  summary: "register (first time) and run; --detach runs in the background; --service-url overrides config.yaml's service_url",
  options: {
    'service-url': { type: 'string' },
    detach: { type: 'boolean' },
    // Internal: the quick start's endpoint (serve --local-endpoint) and a multi-user endpoint's children.
    'exit-with-parent': { type: 'boolean' },
    // Internal: set by --detach, whose child's stdout and stderr are endpoint.log (rotated by size).
    'rotate-log': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(values, [name]) {
    const paths = endpointPaths(name);
    const serviceUrl = optionString(values, 'service-url');
    if (values.detach) return startDetached(paths, serviceUrl);
    return startForeground(paths, { serviceUrl, exitWithParent: values['exit-with-parent'] === true, rotateLog: values['rotate-log'] === true });
  },
};

export const stopCommand: RunnableCommand = {
  name: 'stop',
  synopsis: 'NAME',
  summary: 'stop gracefully (running tasks may finish), then forcefully',
  positionals: { min: 1, max: 1 },
  run: async (_values, [name]) => stop(endpointPaths(name)),
};

export const restartCommand: RunnableCommand = {
  name: 'restart',
  synopsis: 'NAME [--service-url URL]',
  summary: 'stop, then start detached (--service-url as for start)',
  options: { 'service-url': { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(values, [name]) {
    const paths = endpointPaths(name);
    const code = await stop(paths);
    return code === 0 ? startDetached(paths, optionString(values, 'service-url')) : code;
  },
};

async function startForeground(paths: EndpointPaths, options: { serviceUrl?: string; exitWithParent?: boolean; rotateLog?: boolean }): Promise<number> {
  if (options.rotateLog) {
    const { logMaxBytes, logBackups } = isMultiUser(paths) ? { logMaxBytes: 10 * 1024 * 1024, logBackups: 5 } : loadEndpointConfig(paths);
    startLogRotation(paths.log, logMaxBytes, logBackups, (error) => console.error(`funcx-endpoint: rotating ${paths.log} failed: ${asError(error).message}`));
  }
  const registering = new AbortController();
  const state: { started?: { agent: { stop(): void }; identity: { endpoint_id: string }; done: Promise<void> } } = {};
  let signals = 0;
  // Why this process ends, said once in its last log line (a supervisor's journal or endpoint.log).
  let exitReason = 'the agent stopped on its own';
  let stoppedBy: string | undefined;
  const onSignal = (signal: NodeJS.Signals, why = `${signal} received`) => {
    signals += 1;
    if (signals === 1) {
      exitReason = why;
      stoppedBy = why === `${signal} received` ? whoStopped(paths, signal) : why;
    }
    const { started } = state;
    if (!started) {
      registering.abort();
      if (signals > 1) {
        console.error(`funcx-endpoint: exiting at once (${signal} again, while registering; first: ${exitReason})`);
        process.exit(1);
      }
      return;
    }
    if (signals === 1) console.error(`funcx-endpoint: ${why}: stopping (send again to stop at once)`);
    started.agent.stop();
  };
  // Not `process.on('SIGTERM', onSignal)`: Node passes the signal's number second, which would become `why`.
  process.on('SIGINT', (signal) => onSignal(signal));
  process.on('SIGTERM', (signal) => onSignal(signal));
  if (options.exitWithParent) {
    // The quick start's endpoint must not outlive its service, even one killed with SIGKILL.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) onSignal('SIGTERM', `its parent (the service, pid ${parent}) is gone`);
    }, 1000).unref();
  }
  const start = isMultiUser(paths) ? startMultiUserEndpoint : startEndpoint;
  const lastWordLog = (line: string) => console.error(`funcx-endpoint: ${line}`);
  // The last word (lastWord.ts): why this process ends, told to the service and kept in endpoint.state.json.
  const stoppedCleanly = () => sayLastWord(paths, { state: 'offline', detail: stoppedBy ? `stopped cleanly by ${stoppedBy}` : `stopped cleanly: ${exitReason}` }, lastWordLog);
  const failed = (error: unknown) => sayLastWord(paths, { state: 'failed', detail: fatalDetail(error) }, lastWordLog);
  let started;
  try {
    started = await start(paths, { signal: registering.signal, serviceUrl: options.serviceUrl });
  } catch (error) {
    if (registering.signal.aborted) await stoppedCleanly();
    else if (!(error instanceof EndpointAlreadyRunning)) await failed(error);
    throw error;
  }
  state.started = started;
  console.error(`funcx-endpoint: endpoint "${paths.name}" running as ${started.identity.endpoint_id} (pid ${process.pid})`);
  try {
    await started.done;
  } catch (error) {
    await failed(error);
    throw error;
  }
  await stoppedCleanly();
  console.error(`funcx-endpoint: endpoint "${paths.name}" (pid ${process.pid}) exits: ${exitReason}`);
  return 0;
}

/** A fatal error as the endpoint's state shows it: what kind, then its message. */
function fatalDetail(error: unknown): string {
  if (error instanceof EndpointConfigError) return `configuration invalid: ${error.message}`;
  if (error instanceof CredentialRefused) return `credential refused: ${error.message}`;
  return asError(error).message;
}

/** Runs `start NAME` in a new session with output to endpoint.log; returns once it has registered. */
async function startDetached(paths: EndpointPaths, serviceUrl?: string): Promise<number> {
  loadEndpointConfig(paths); // a bad config fails here, in the user's terminal, not in the log
  const pid = runningAgentPid(paths);
  if (pid !== undefined) throw new EndpointAlreadyRunning(`endpoint "${paths.name}" is already running (pid ${pid})`);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const logStart = existsSync(paths.log) ? statSync(paths.log).size : 0;
  const log = openSync(paths.log, 'a', 0o600);
  const agent = selfCommand('cli');
  const child = spawn(agent.command, [...agent.args, 'start', paths.name, '--rotate-log', ...(serviceUrl ? ['--service-url', serviceUrl] : [])], {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  closeSync(log);
  child.unref();
  // Ready when this child logs "endpoint started" (pino lines carry the pid); bounded wait.
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) {
      console.error(`funcx-endpoint: the endpoint exited during start; see ${paths.log}`);
      return 1;
    }
    const text = readFileSync(paths.log);
    // Rotated meanwhile (cut to zero): all of it is fresh.
    const fresh = text.subarray(text.length >= logStart ? logStart : 0).toString('utf8');
    if (fresh.split('\n').some((line) => line.includes(`"pid":${child.pid},`) && line.includes('"msg":"endpoint started"'))) {
      console.log(`endpoint "${paths.name}" started in the background: id ${readIdentity(paths)?.endpoint_id}, pid ${child.pid}, log ${paths.log}`);
      return 0;
    }
    await sleep(100);
  }
  console.error(`funcx-endpoint: the endpoint did not register within 60 s; it keeps trying (pid ${child.pid}), see ${paths.log}`);
  return 1;
}

/** How long stop waits for a SIGKILLed agent to be gone before it gives up. */
const FORCED_EXIT_WAIT_MS = 10_000;

export async function stop(paths: EndpointPaths): Promise<number> {
  // Only the very process the pidfile recorded (same start time): a pid reused after a crash or reboot is left alone.
  const record = readPidRecord(paths);
  const isAlive = () => record !== undefined && isRecordedProcess(record);
  const pid = record?.pid;
  if (pid === undefined || !isAlive()) {
    if (pid !== undefined) rmSync(paths.pidfile, { force: true });
    console.log(`endpoint "${paths.name}" is not running`);
    return 0;
  }
  let graceMs = 30_000;
  try {
    graceMs = loadEndpointConfig(paths).graceMs;
  } catch {
    // a broken config must not prevent stopping
  }
  writeStopRequest(paths, 'funcx-endpoint stop');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + forcedStopAfterMs(graceMs);
  while (isAlive() && Date.now() < deadline) await sleep(100);
  if (isAlive()) {
    console.error(`endpoint "${paths.name}" did not finish stopping (grace period, then posting results) in time; killing pid ${pid}`);
    process.kill(pid, 'SIGKILL');
    // Bounded: a process in uninterruptible sleep (D state) may outlive SIGKILL for a while.
    // isAlive counts a zombie (killed, not yet reaped by its parent) as gone.
    const killDeadline = Date.now() + FORCED_EXIT_WAIT_MS;
    while (isAlive() && Date.now() < killDeadline) await sleep(50);
    if (isAlive()) {
      console.error(`endpoint "${paths.name}": pid ${pid} is still there ${FORCED_EXIT_WAIT_MS / 1000} s after SIGKILL; giving up (its pidfile is kept)`);
      return 1;
    }
    rmSync(paths.pidfile, { force: true });
  }
  console.log(`endpoint "${paths.name}" stopped`);
  return 0;
}

