/** The runtimes this machine offers, with versions, for the agent's heartbeats. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';

export interface RuntimeVersion {
  name: string;
  version: string;
}

const run = promisify(execFile);

/** "3.11.7" from `python3 --version`; undefined when the interpreter cannot run. */
export async function pythonVersion(interpreter: string, log: Logger): Promise<string | undefined> {
  try {
    // Python before 3.4 printed the version on stderr; read both.
    const { stdout, stderr } = await run(interpreter, ['--version'], { timeout: 10_000 });
    return /Python\s+(\S+)/.exec(stdout + stderr)?.[1] ?? (stdout + stderr).trim();
  } catch (error) {
    log.warn({ interpreter, err: (error as Error).message }, 'the python interpreter does not run; the python runtime is not offered');
    return undefined;
  }
}

export async function detectRuntimes(interpreter: string, log: Logger): Promise<RuntimeVersion[]> {
  const python = await pythonVersion(interpreter, log);
  return [
    ...(python === undefined ? [] : [{ name: 'python', version: python }]),
    { name: 'javascript', version: process.versions.node },
    { name: 'shell', version: '/bin/sh' },
  ];
}
