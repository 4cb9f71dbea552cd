/**
 * The unmodified upstream SDK sources (funcx 1.0.13, globus-compute-sdk 2.34.0
 * and their Globus libraries) are test fixtures kept outside the repository:
 * FUNCX_UPSTREAM_SDKS names their folder, by default ../shared/upstream next to
 * the repository. They run on the system python3 with Debian's python3-*
 * packages (.ci/run installs them). `upstreamMissing()` says why they cannot
 * run, so suites skip loudly instead of silently (and fail under FUNCX_TEST_REQUIRE_ALL=1:
 * see realPart.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { packageRoot } from '../../src/util/paths.js';

export const UPSTREAM_DIR = path.resolve(process.env.FUNCX_UPSTREAM_SDKS ?? path.join(packageRoot(), '..', 'shared', 'upstream'));
const FOLDERS = ['globus-compute-sdk-2.34.0', 'funcx-1.0.13', 'globus-sdk-3.65.0', 'globus-compute-common-0.5.0', 'funcx-common-0.0.25'];
export const UPSTREAM_PYTHONPATH = FOLDERS.map((folder) => path.join(UPSTREAM_DIR, folder)).join(path.delimiter);
const PYTHON = '/usr/bin/python3';

let checked: string | undefined | null = null;

/** Why the upstream SDKs cannot run here, or undefined when they can. */
export function upstreamMissing(): string | undefined {
  if (checked !== null) return checked;
  const absent = FOLDERS.filter((folder) => !existsSync(path.join(UPSTREAM_DIR, folder)));
  if (absent.length > 0) {
    checked = `upstream SDK sources not found in ${UPSTREAM_DIR} (${absent.join(', ')}); set FUNCX_UPSTREAM_SDKS`;
    return checked;
  }
  const probe = spawnSync(PYTHON, ['-c', 'from globus_compute_sdk import Client, Executor; from funcx import FuncXClient'], {
    env: { ...process.env, PYTHONPATH: UPSTREAM_PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
  });
  checked = probe.status === 0
    ? undefined
    : `the upstream SDKs do not import with ${PYTHON} (install python3-requests python3-jwt python3-cryptography python3-dill python3-pika python3-tblib python3-texttable python3-packaging python3-pydantic python3-typing-extensions python3-colorama python3-rich): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
  return checked;
}

/** Runs a Python script with the upstream SDKs on its path; resolves with its stdout, fails the test with its output otherwise. */
export async function runUpstreamPython(t: ExecutionContext, script: string, args: string[], env: Record<string, string>): Promise<string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FUNCX_') && !name.startsWith('GLOBUS_')));
  const child = spawn(PYTHON, [script, ...args], {
    env: { ...inherited, PYTHONPATH: UPSTREAM_PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', HOME: env.HOME ?? inherited.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const code = await exited;
  if (code !== 0) throw new Error(`${path.basename(script)} ${args.join(' ')} exited ${code}:\n${stderr}\n${stdout}`);
  return stdout;
}
