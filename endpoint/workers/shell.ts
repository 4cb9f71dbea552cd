/**
 * The shell runtime, like Globus Compute's ShellFunction: the function's
 * source is a command template formatted with the task's args and kwargs
 * (formatTemplate.ts: plain str.format, no quoting), run by `/bin/sh -c` in
 * a fresh working folder that is removed afterwards unless the endpoint keeps
 * them (keep_shell_sandboxes) (its sandbox: the command
 * sees GC_TASK_UUID and GC_TASK_SANDBOX_DIR, as upstream's do with
 * run_in_sandbox). The result is JSON
 * {cmd, stdout, stderr, returncode}, a success whatever the return code (the
 * caller inspects it). A walltime kills the command: return code 124.
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger.js';
import type { TaskOutcome, TaskToRun } from '../execution.js';
import { ExecutorFailure, failed } from './errors.js';
import { formatTemplate } from './formatTemplate.js';
import { CANCEL_GRACE_MS, describeExit, killGroup } from './processGroup.js';
import { TailBuffer } from './tailBuffer.js';
import { startWalltime } from './walltime.js';

/** GNU timeout's code for "killed by the walltime", as Globus Compute reports it. */
export const WALLTIME_RETURN_CODE = 124;
/** After the shell exits, how long its pipes may stay open (held by an escaped background process). */
const PIPE_CLOSE_GRACE_MS = 1000;

export interface ShellOptions {
  workDir: string;
  outputCap: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Fires when the executor stops: the command is killed and the task retried elsewhere. */
  stopping: AbortSignal;
  /** Live shell pids (the executor's pids() test hook). */
  pids: Set<number>;
  /** Keep the task's folder after it ends (keep_shell_sandboxes); default: removed. */
  keepSandbox?: boolean;
  /**
   * Runs the command another way (inside a container): the command line, and what ends
   * whatever outlives a killed client (the container). Default: /bin/sh -c on the host.
   */
  wrap?: (cmd: string, cwd: string) => { command: string; args: string[]; remove(): Promise<void> };
}

export interface ShellResult {
  cmd: string;
  stdout: string;
  stderr: string;
  returncode: number;
}

export async function runShell(task: TaskToRun, signal: AbortSignal, options: ShellOptions): Promise<TaskOutcome> {
  let cmd: string;
  try {
    const { args, kwargs } = decodePayload(task.payload);
    cmd = formatTemplate(task.source, args, kwargs);
  } catch (error) {
    if (error instanceof ExecutorFailure) return error.toOutcome();
    throw error;
  }
  if (signal.aborted) return failed('TaskCancelled', 'the task was cancelled');
  await mkdir(options.workDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(path.join(options.workDir, `shell-${task.taskId}-`));
  try {
    // As Globus Compute's ShellFunction sees them (with run_in_sandbox, which is how every shell task runs here).
    const env = { ...options.env, GC_TASK_UUID: task.taskId, GC_TASK_SANDBOX_DIR: dir };
    const ran = await runShellCommand(cmd, dir, task.walltimeMs, signal, { ...options, env }, task.onOutput);
    if (ran.ended === 'cancelled') return failed('TaskCancelled', 'the task was cancelled');
    if (ran.ended === 'stopped') return failed('ExecutorStopped', 'the executor stopped while the task was running', true);
    if (ran.spawnError) return failed('WorkerStartFailed', `/bin/sh could not start: ${ran.spawnError.message}`);
    options.log.debug({ taskId: task.taskId, returncode: ran.result.returncode }, 'shell task ran');
    return { status: 'success', result: JSON.stringify(ran.result), resultSerializer: 'json' };
  } finally {
    if (!options.keepSandbox) await rm(dir, { recursive: true, force: true });
  }
}

function decodePayload(payload: string): { args: unknown[]; kwargs: Record<string, unknown> } {
  try {
    const data = payload ? JSON.parse(payload) : {};
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('expected a JSON object {"args": [...], "kwargs": {...}}');
    return { args: Array.isArray(data.args) ? data.args : [], kwargs: data.kwargs && typeof data.kwargs === 'object' ? data.kwargs : {} };
  } catch (error) {
    throw new ExecutorFailure('TaskPayloadInvalid', `cannot decode the json payload: ${(error as Error).message}`);
  }
}

interface Ran {
  result: ShellResult;
  ended?: 'walltime' | 'cancelled' | 'stopped';
  spawnError?: Error;
}

function runShellCommand(cmd: string, cwd: string, walltimeMs: number, signal: AbortSignal, options: ShellOptions, onOutput?: (text: string) => void): Promise<Ran> {
  return new Promise((resolve) => {
    const launch = options.wrap?.(cmd, cwd) ?? { command: '/bin/sh', args: ['-c', cmd], remove: undefined };
    const child = spawn(launch.command, launch.args, {
      cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a kill ends the whole pipeline and its background jobs
    });
    const pid = child.pid;
    if (pid !== undefined) options.pids.add(pid);
    const stdout = new TailBuffer(options.outputCap);
    const stderr = new TailBuffer(options.outputCap);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (onOutput) {
      // Live output: both streams, in the order they arrive; each decoded on its own (a chunk may end mid-character).
      for (const stream of [child.stdout, child.stderr]) {
        const decoder = new StringDecoder('utf8');
        stream.on('data', (chunk: Buffer) => {
          const text = decoder.write(chunk);
          if (text) onOutput(text);
        });
      }
    }

    let ended: Ran['ended'];
    const end = (why: NonNullable<Ran['ended']>) => {
      ended ??= why;
      // A cancel gives the command a moment (SIGTERM: mpiexec passes it to its ranks) before SIGKILL.
      if (why === 'cancelled') killGroup(pid, { graceMs: CANCEL_GRACE_MS });
      else killGroup(pid);
    };
    const walltime = startWalltime(walltimeMs, () => end('walltime'));
    const onAbort = () => end('cancelled');
    const onStop = () => end('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    options.stopping.addEventListener('abort', onStop, { once: true });

    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let spawnError: Error | undefined;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      walltime.clear();
      signal.removeEventListener('abort', onAbort);
      options.stopping.removeEventListener('abort', onStop);
      if (pid !== undefined) options.pids.delete(pid);
      for (const stream of child.stdio) stream?.destroy();
      let stderrText = stderr.text();
      if (ended === 'walltime') stderrText += `\n[funcX: walltime of ${walltimeMs} ms exceeded; the command was killed]\n`;
      const returncode = ended === 'walltime' ? WALLTIME_RETURN_CODE : exitCode ?? -(constants.signals[exitSignal!] ?? 0);
      const ran = { result: { cmd, stdout: stdout.text(), stderr: stderrText, returncode }, ended, spawnError };
      // A killed container client leaves its container running: end it before reporting.
      if (launch.remove && (ended || exitSignal || spawnError)) void launch.remove().then(() => resolve(ran));
      else resolve(ran);
    };
    let grace: NodeJS.Timeout | undefined;
    child.once('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      options.log.trace({ pid, exit: describeExit(code, sig) }, 'shell exited');
      // Background jobs the command left behind die with it (a cancel's own SIGKILL comes after
      // its grace); then drain the pipes, briefly.
      if (ended !== 'cancelled') killGroup(pid);
      grace = setTimeout(settle, PIPE_CLOSE_GRACE_MS);
    });
    child.once('close', settle);
    child.once('error', (error) => {
      if (pid !== undefined) return; // not a spawn failure; the exit event follows
      spawnError = error;
      settle();
    });
  });
}
