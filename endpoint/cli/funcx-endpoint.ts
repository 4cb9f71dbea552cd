#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * funcx-endpoint: configure | start | stop | restart | list | delete
 * As users of funcX / Globus Compute know it. Endpoints live in $FUNCX_HOME/NAME
 * (FUNCX_HOME defaults to ~/.funcx).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { asError } from '../../src/errors.js';
import { sleep } from '../../src/util/time.js';
import { endpointPaths, funcxHome, type EndpointPaths } from '../paths.js';
import { EndpointConfigError, loadEndpointConfig, writeConfigTemplate } from '../config.js';
import { endpointState, isAlive, readPid } from '../pidfile.js';
import { readIdentity } from '../identity.js';
import { findUserToken } from '../userToken.js';
import { ServiceClient } from '../client.js';
import { CredentialRefused, ServiceRejected } from '../errors.js';
import { RegistrationNeedsToken } from '../registration.js';
import { EndpointAlreadyRunning, startEndpoint } from '../run.js';
import { forcedStopAfterMs } from './stopTimeout.js';
import { packageVersion } from '../../src/util/version.js';
import { isMultiUser } from '../multiUser/settings.js';
import { MultiUserNeedsRoot, startMultiUserEndpoint } from '../multiUser/run.js';
import { writeMultiUserTemplates } from '../multiUser/configure.js';
import { AGENT_NODE_FLAGS } from '../agentNodeFlags.js';
import { Connections, serviceConnections } from '../transport/serviceConnections.js';
import { EndpointVersionTooOld } from '../transport/versionCheck.js';

const USAGE = `usage: funcx-endpoint <command> [NAME]

  configure NAME [--service-url URL] [--max-workers N] [--force] [--multi-user]
                     write $FUNCX_HOME/NAME/config.yaml with documented defaults;
                     --multi-user: an endpoint root runs for every user (also
                     multi_user.yaml and the per-user template; docs/multi-user-endpoints.md)
  start NAME [--detach] [--service-url URL]
                     register (first time) and run; --detach runs in the background;
                     --service-url overrides config.yaml's service_url
  stop NAME          stop gracefully (running tasks may finish), then forcefully
  restart NAME [--service-url URL]
                     stop, then start detached (--service-url as for start)
  list               every endpoint with its id and state
  delete NAME [--force]
                     delete here and on the service (--force stops it first)
  --version          print the version

FUNCX_HOME (default ~/.funcx) holds the endpoints. Registering needs the
owner's API token: FUNCX_TOKEN, or FUNCX_HOME/quickstart.json.`;

const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'service-url': { type: 'string' },
      'max-workers': { type: 'string' },
      force: { type: 'boolean', default: false },
      'multi-user': { type: 'boolean', default: false },
      detach: { type: 'boolean', default: false },
      'exit-with-parent': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.version) {
    console.log(`funcx-endpoint ${packageVersion()}`);
    return 0;
  }
  const [command, name] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : EXIT_USAGE;
  }
  if (command === 'list') return list();
  if (!name) {
    console.error(`funcx-endpoint ${command}: name the endpoint\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const paths = endpointPaths(name);
  switch (command) {
    case 'configure':
      return configure(paths, values['service-url'], values['max-workers'], values.force, values['multi-user']);
    case 'start':
      if (values.detach) return startDetached(paths, values['service-url']);
      return startForeground(paths, { serviceUrl: values['service-url'], exitWithParent: values['exit-with-parent'] });
    case 'stop':
      return stop(paths);
    case 'restart': {
      const code = await stop(paths);
      return code === 0 ? startDetached(paths, values['service-url']) : code;
    }
    case 'delete':
      return remove(paths, values.force);
    default:
      console.error(`funcx-endpoint: unknown command "${command}"\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}

function configure(paths: EndpointPaths, serviceUrl: string | undefined, maxWorkers: string | undefined, force: boolean, multiUser = false): number {
  if (existsSync(paths.config) && !force) {
    console.error(`${paths.config} exists; edit it, or pass --force to overwrite it`);
    return 1;
  }
  const workers = maxWorkers === undefined ? undefined : Number(maxWorkers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) {
    console.error(`--max-workers: expected a whole number above 0, got "${maxWorkers}"`);
    return EXIT_USAGE;
  }
  const url = serviceUrl ?? process.env.FUNCX_SERVICE_URL ?? 'http://127.0.0.1:8080';
  if (multiUser) {
    writeMultiUserTemplates(paths, url);
    console.log(`wrote ${paths.dir}/{config.yaml,multi_user.yaml,user_config_template.yaml,user_config_schema.json}\nset up identity_mapping in multi_user.yaml, then as root: funcx-endpoint start ${paths.name}`);
    return 0;
  }
  writeConfigTemplate(paths, url, workers);
  console.log(`wrote ${paths.config}\nstart it with: funcx-endpoint start ${paths.name}`);
  return 0;
}

async function startForeground(paths: EndpointPaths, options: { serviceUrl?: string; exitWithParent?: boolean }): Promise<number> {
  const registering = new AbortController();
  const state: { started?: { agent: { stop(): void }; identity: { endpoint_id: string }; done: Promise<void> } } = {};
  let signals = 0;
  // Why this process ends, said once in its last log line (a supervisor's journal or endpoint.log).
  let exitReason = 'the agent stopped on its own';
  const onSignal = (signal: NodeJS.Signals, why = `${signal} received`) => {
    signals += 1;
    if (signals === 1) exitReason = why;
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
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (options.exitWithParent) {
    // The quick start's endpoint must not outlive its service, even one killed with SIGKILL.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) onSignal('SIGTERM', `its parent (the service, pid ${parent}) is gone`);
    }, 1000).unref();
  }
  const start = isMultiUser(paths) ? startMultiUserEndpoint : startEndpoint;
  const started = await start(paths, { signal: registering.signal, serviceUrl: options.serviceUrl });
  state.started = started;
  console.error(`funcx-endpoint: endpoint "${paths.name}" running as ${started.identity.endpoint_id} (pid ${process.pid})`);
  await started.done;
  console.error(`funcx-endpoint: endpoint "${paths.name}" (pid ${process.pid}) exits: ${exitReason}`);
  return 0;
}

/** Runs `start NAME` in a new session with output to endpoint.log; returns once it has registered. */
async function startDetached(paths: EndpointPaths, serviceUrl?: string): Promise<number> {
  loadEndpointConfig(paths); // a bad config fails here, in the user's terminal, not in the log
  const pid = readPid(paths);
  if (pid !== undefined && isAlive(pid)) throw new EndpointAlreadyRunning(`endpoint "${paths.name}" is already running (pid ${pid})`);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const logStart = existsSync(paths.log) ? statSync(paths.log).size : 0;
  const log = openSync(paths.log, 'a', 0o600);
  const args = [fileURLToPath(import.meta.url), 'start', paths.name, ...(serviceUrl ? ['--service-url', serviceUrl] : [])];
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...args], {
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
    const fresh = readFileSync(paths.log).subarray(logStart).toString('utf8');
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

async function stop(paths: EndpointPaths): Promise<number> {
  const pid = readPid(paths);
  if (pid === undefined || !isAlive(pid)) {
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
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + forcedStopAfterMs(graceMs);
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    console.error(`endpoint "${paths.name}" did not finish stopping (grace period, then posting results) in time; killing pid ${pid}`);
    process.kill(pid, 'SIGKILL');
    // Bounded: a process in uninterruptible sleep (D state) may outlive SIGKILL for a while.
    // isAlive counts a zombie (killed, not yet reaped by its parent) as gone.
    const killDeadline = Date.now() + FORCED_EXIT_WAIT_MS;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
    if (isAlive(pid)) {
      console.error(`endpoint "${paths.name}": pid ${pid} is still there ${FORCED_EXIT_WAIT_MS / 1000} s after SIGKILL; giving up (its pidfile is kept)`);
      return 1;
    }
    rmSync(paths.pidfile, { force: true });
  }
  console.log(`endpoint "${paths.name}" stopped`);
  return 0;
}

function list(): number {
  const home = funcxHome();
  const names = existsSync(home)
    ? readdirSync(home, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(path.join(home, entry.name, 'config.yaml')))
        .map((entry) => entry.name)
        .sort()
    : [];
  if (names.length === 0) {
    console.log(`no endpoints in ${home}; create one with: funcx-endpoint configure NAME`);
    return 0;
  }
  const rows = names.map((name) => {
    const paths = endpointPaths(name, home);
    return [readIdentity(paths)?.endpoint_id ?? '-', endpointState(paths), name];
  });
  const widths = [36, 12];
  console.log(['Endpoint ID'.padEnd(widths[0]), 'Status'.padEnd(widths[1]), 'Endpoint Name'].join('  '));
  for (const [id, state, name] of rows) console.log([id.padEnd(widths[0]), state.padEnd(widths[1]), name].join('  '));
  return 0;
}

async function remove(paths: EndpointPaths, force: boolean): Promise<number> {
  if (!existsSync(paths.dir)) {
    console.error(`no endpoint "${paths.name}" in ${path.dirname(paths.dir)}`);
    return 1;
  }
  if (endpointState(paths) === 'Running') {
    if (!force) {
      console.error(`endpoint "${paths.name}" is running; stop it first, or pass --force`);
      return 1;
    }
    await stop(paths);
  }
  const identity = readIdentity(paths);
  if (identity) {
    const token = findUserToken(identity.service_url);
    if (!token) {
      console.error('deleting on the service needs the owner\'s API token (FUNCX_TOKEN); nothing was deleted');
      return 1;
    }
    try {
      // Through the same proxy and CA as the agent (config.yaml's proxy and ca_file, when the file still loads).
      await new ServiceClient(identity.service_url, { connections: deletionConnections(paths) }).deleteEndpoint(token, identity.endpoint_id);
    } catch (error) {
      const gone = error instanceof ServiceRejected && error.status === 404;
      if (!gone && !force) {
        console.error(`could not delete endpoint ${identity.endpoint_id} on the service: ${asError(error).message}\n(--force deletes it here anyway)`);
        return 1;
      }
    }
  }
  rmSync(paths.dir, { recursive: true, force: true });
  console.log(`endpoint "${paths.name}" deleted`);
  return 0;
}

/** The agent's proxy and CA for a deletion; a config that no longer loads falls back to the environment's. */
function deletionConnections(paths: EndpointPaths): Connections {
  let settings: { proxy: string | null; caFile: string | null } = { proxy: null, caFile: null };
  try {
    settings = loadEndpointConfig(paths);
  } catch {
    // deleting must work even when config.yaml is broken or gone
  }
  return serviceConnections(paths.config, settings);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof EndpointConfigError) console.error(`funcx-endpoint: bad configuration in ${error.message}`);
    else if (error instanceof CredentialRefused) console.error(`funcx-endpoint: ${error.message}`);
    else if (error instanceof RegistrationNeedsToken || error instanceof EndpointAlreadyRunning || error instanceof MultiUserNeedsRoot || error instanceof EndpointVersionTooOld) console.error(`funcx-endpoint: ${error.message}`);
    else console.error(`funcx-endpoint: ${asError(error).stack}`);
    process.exitCode = error instanceof CredentialRefused ? 3 : 1;
  },
);
