/**
 * Runs the Python client's unittest files (sdk/python/tests) as a child
 * process against a live service (and endpoint), with the settings in its
 * environment, and asserts they passed. The child is async (spawn, not
 * execFileSync): the service answering it runs in this same process.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { packageRoot } from '../../src/util/paths.js';
import type { LiveService } from '../helpers/service.js';

export const SDK_PYTHON = path.join(packageRoot(), 'sdk', 'python');

export interface PythonSuiteOptions {
  /** The endpoint the tests submit to (FUNCX_TEST_ENDPOINT_ID). */
  endpointId?: string;
  /** The endpoint's max_workers, which the tests expect to see in its status (FUNCX_TEST_ENDPOINT_WORKERS). */
  endpointWorkers?: number;
  env?: Record<string, string>;
}

/** `python3 -m unittest -v tests.<module> ...` in sdk/python; fails the test (with the output) unless it passed. */
export async function runPythonSuite(t: ExecutionContext, live: LiveService, modules: string[], options: PythonSuiteOptions = {}): Promise<string> {
  // A clean environment for the client: only what the test hands it (no FUNCX_HOME of the runner).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FUNCX_')));
  const child = spawn('python3', ['-m', 'unittest', '-v', ...modules.map((m) => `tests.${m}`)], {
    cwd: SDK_PYTHON,
    env: {
      ...inherited,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      FUNCX_SERVICE_URL: live.url,
      FUNCX_TOKEN: live.adminToken,
      FUNCX_TEST_OTHER_TOKEN: await live.tokenFor('someone-else'),
      ...(options.endpointId ? { FUNCX_TEST_ENDPOINT_ID: options.endpointId } : {}),
      ...(options.endpointWorkers ? { FUNCX_TEST_ENDPOINT_WORKERS: String(options.endpointWorkers) } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const code = await exited;
  t.is(code, 0, `python3 -m unittest ${modules.join(' ')} failed:\n${output}`);
  // unittest's last line: "OK" (or "OK (skipped=1)"); a run that found no tests says "NO TESTS RAN".
  t.regex(output, /\nRan [1-9]\d* tests? in [\d.]+s\n\nOK\b/, output);
  t.notRegex(output, /skipped=/, 'no Python test may be skipped');
  return output;
}
