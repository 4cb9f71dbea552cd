/**
 * The Python tutorials, exactly as printed: the README's short one and the full one in
 * docs/tutorials.md, each run as a script with python3 against a live service and a real
 * endpoint, configured only by a quickstart.json in ./.funcx, as `npm start` leaves it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import type { ExecutionContext } from 'ava';
import type { LiveService } from '../helpers/service.js';
import { codeBlock } from '../helpers/docBlocks.js';
import { SDK_PYTHON } from './support.js';

const run = promisify(execFile);

/** Runs `script` with python3 in a folder like the user's; returns its stdout lines. */
async function runTutorial(t: ExecutionContext, live: LiveService, name: string, script: string): Promise<{ stdout: string; lines: string[] }> {
  const endpoint = await startEndpointProcess(t, live);
  // The script's last line prints the endpoint's status: let its first heartbeat arrive first.
  await waitFor(async () => (await live.call('GET', `/v2/endpoints/${endpoint.endpointId}/status`)).body.status === 'online', 'the first heartbeat');
  const dir = path.join(live.database.dir, name);
  mkdirSync(path.join(dir, '.funcx'), { recursive: true });
  writeFileSync(path.join(dir, '.funcx', 'quickstart.json'), JSON.stringify({ service_url: live.url, token: live.adminToken, endpoint_id: endpoint.endpointId }));
  writeFileSync(path.join(dir, 'tutorial.py'), script);

  // Only what a user's shell would have: no FUNCX_* of the test runner.
  const env = { PATH: process.env.PATH, HOME: dir, PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' };
  const { stdout } = await run('python3', ['tutorial.py'], { cwd: dir, env, timeout: 120_000 });
  return { stdout, lines: stdout.split('\n') };
}

serviceTest("the README's Python tutorial runs as written", async (t, live) => {
  const { stdout, lines } = await runTutorial(t, live, 'readme-python', codeBlock('README.md', '## Tutorial in Python', 'python'));
  t.deepEqual(lines.slice(0, 4), ['Hello World!', 'Hello World!', 'Exception deterministic failure', '[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]'], stdout);
});

serviceTest("docs/tutorials.md's Python tutorial runs as written", async (t, live) => {
  const { stdout, lines } = await runTutorial(t, live, 'tutorials-python', codeBlock('docs/tutorials.md', '## Tutorial in Python', 'python'));
  t.is(lines[0], 'Hello World!');
  t.is(lines[1], '15');
  t.regex(lines[2], /^datetime\.date\(\d{4}, \d{1,2}, \d{1,2}\)$/); // pickled: a real date came back
  t.is(lines[3], 'Exception deterministic failure');
  t.is(lines[4], '[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]');
  t.regex(stdout, /\| hello_world +\| [0-9a-f-]{36} \| python/);
  // status, total_workers (max_workers: 2), outstanding_tasks (as of the last heartbeat, which may
  // have been sent while a task of the script was still outstanding)
  t.regex(lines.at(-2)!, /^online 2 \d+$/);
});
