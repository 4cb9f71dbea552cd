/** Runs a scheduler command (no shell) and returns its stdout, or throws ProviderCommandFailed. */
import { execFile } from 'node:child_process';
import { ProviderCommandFailed } from './types.js';

export function runSchedulerCommand(command: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: options.timeoutMs ?? 60_000, env: options.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const exitCode = typeof error.code === 'number' ? error.code : null;
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${command} not found on PATH` : (stderr.trim() || error.message);
      reject(new ProviderCommandFailed(`${command} ${args.join(' ')}: ${why}`, command, exitCode, stderr));
    });
  });
}
