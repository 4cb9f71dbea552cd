/**
 * The README's "Tutorial in Python", exactly as printed there, run as a script
 * with python3 against a live service and a real endpoint, configured only by
 * a quickstart.json in ./.funcx, as `npm start` leaves it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { packageRoot } from '../../src/util/paths.js';
import { SDK_PYTHON } from './support.js';

const run = promisify(execFile);

function readmeTutorial(root: string): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Tutorial in Python'));
  const match = /```python\n([\s\S]*?)\n```/.exec(section);
  if (!match) throw new Error('README.md: no ```python block under "## Tutorial in Python"');
  return match[1];
}

serviceTest("the README's Python tutorial runs as written", async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  // The script's last line prints the endpoint's status: let its first heartbeat arrive first.
  await waitFor(async () => (await live.call('GET', `/v2/endpoints/${endpoint.endpointId}/status`)).body.status === 'online', 'the first heartbeat');
  const dir = path.join(live.database.dir, 'readme-python');
  mkdirSync(path.join(dir, '.funcx'), { recursive: true });
  writeFileSync(path.join(dir, '.funcx', 'quickstart.json'), JSON.stringify({ service_url: live.url, token: live.adminToken, endpoint_id: endpoint.endpointId }));
  writeFileSync(path.join(dir, 'tutorial.py'), readmeTutorial(packageRoot()));

  // Only what a user's shell would have: no FUNCX_* of the test runner.
  const env = { PATH: process.env.PATH, HOME: dir, PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' };
  const { stdout } = await run('python3', ['tutorial.py'], { cwd: dir, env, timeout: 120_000 });
  const lines = stdout.split('\n');
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
