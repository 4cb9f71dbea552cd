/**
 * A real `funcx-endpoint start` process for end-to-end tests, in its own
 * process group (so a test can SIGKILL, SIGSTOP or SIGCONT it and its workers
 * together) with its own FUNCX_HOME, removed with everything else at teardown.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { configTemplate } from '../../endpoint/config.js';
import { endpointPaths, type EndpointPaths } from '../../endpoint/paths.js';
import { readIdentity } from '../../endpoint/identity.js';
import type { LiveService } from './service.js';

const runFile = promisify(execFile);

export const ENDPOINT_CLI = fileURLToPath(new URL('../../endpoint/cli/funcx-endpoint.js', import.meta.url));

export interface EndpointProcess {
  name: string;
  paths: EndpointPaths;
  child: ChildProcess;
  endpointId: string;
  /** Everything the process printed so far (its JSON log lines). */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ended and all it printed is in output(). */
  exited: Promise<number | string>;
  /** Sends a signal to the endpoint and its workers (its process group). */
  signalGroup(signal: NodeJS.Signals): void;
  /** Sends a signal to the endpoint process only. */
  signal(signal: NodeJS.Signals): void;
}

export interface EndpointOptions {
  name?: string;
  /** Overrides for config.yaml keys (heartbeat_period, max_workers, ...). */
  config?: Record<string, unknown>;
  /** Reuse an existing FUNCX_HOME (a restart). */
  home?: string;
  env?: Record<string, string>;
  /** Wait until the agent logged "endpoint started" (default true). */
  waitStarted?: boolean;
}

export async function startEndpointProcess(t: ExecutionContext, live: LiveService, options: EndpointOptions = {}): Promise<EndpointProcess> {
  const name = options.name ?? 'test-endpoint';
  const home = options.home ?? path.join(live.database.dir, 'endpoints');
  const paths = endpointPaths(name, home);
  mkdirSync(paths.dir, { recursive: true });
  const config = {
    ...YAML.parse(configTemplate({ name, serviceUrl: live.url, maxWorkers: 2 })),
    heartbeat_period: '500ms',
    poll_wait: '5s',
    grace_period: '10s',
    log_level: 'debug',
    ...options.config,
  };
  writeFileSync(paths.config, YAML.stringify(config));

  // --exit-with-parent: if this test process dies (an ava timeout), the endpoint does not linger.
  const child = spawn(process.execPath, [ENDPOINT_CLI, 'start', name, '--exit-with-parent'], {
    env: { ...process.env, FUNCX_HOME: home, FUNCX_TOKEN: live.adminToken, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  // 'close', not 'exit': 'exit' can come before the last output is read from the pipes, and tests
  // read output() once the process ended. (Nothing the agent starts inherits its stdout/stderr.)
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  t.teardown(async () => {
    signalGroup('SIGCONT');
    signalGroup('SIGKILL');
    await exited;
  });

  if (options.waitStarted !== false) {
    await waitFor(() => output.includes('"msg":"endpoint started"') || child.exitCode !== null, 'the endpoint to start', 60_000);
    if (child.exitCode !== null) throw new Error(`endpoint exited during start (${await exited}):\n${output}`);
  }
  return {
    name,
    paths,
    child,
    endpointId: readIdentity(paths)?.endpoint_id ?? '',
    output: () => output,
    exited,
    signalGroup,
    signal: (signal) => child.kill(signal),
  };
}

/** Polls a condition (bounded); for events that have no callback to await. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `funcx-endpoint ARGS` as a user types it, with FUNCX_HOME=home: its exit code and output (never throws on a non-zero exit). */
export async function runEndpointCli(home: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await runFile(process.execPath, [ENDPOINT_CLI, ...args], { env: { ...process.env, FUNCX_HOME: home, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
