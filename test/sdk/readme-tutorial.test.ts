/**
 * The README's "Tutorial in TypeScript", exactly as printed there: compiled
 * with the command the README gives, run against a live service and a real
 * endpoint, configured only by a quickstart.json, as `npm start` leaves it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { packageRoot } from '../../src/util/paths.js';

const run = promisify(execFile);

function readmeTutorial(root: string): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Tutorial in TypeScript'));
  const match = /```ts\n([\s\S]*?)\n```/.exec(section);
  if (!match) throw new Error('README.md: no ```ts block under "## Tutorial in TypeScript"');
  return match[1];
}

serviceTest("the README's TypeScript tutorial compiles and runs as written", async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const root = packageRoot();
  // A folder like the user's: the program, `funcx-ts` in node_modules, and ./.funcx/quickstart.json.
  const dir = path.join(live.database.dir, 'readme');
  mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  mkdirSync(path.join(dir, '.funcx'));
  symlinkSync(root, path.join(dir, 'node_modules', 'funcx-ts'), 'dir');
  symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(dir, '.funcx', 'quickstart.json'), JSON.stringify({ service_url: live.url, token: live.adminToken, endpoint_id: endpoint.endpointId }));
  writeFileSync(path.join(dir, 'tutorial.ts'), readmeTutorial(root));

  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = await run(process.execPath, [tsc, '--module', 'nodenext', '--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--skipLibCheck', 'tutorial.ts'], { cwd: dir })
    .then(() => 'ok', (error) => String(error.stdout) + String(error.stderr));
  t.is(compiled, 'ok');
  const { stdout } = await run(process.execPath, ['tutorial.js'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  const lines = stdout.split('\n');
  t.is(lines[0], 'Hello World!');
  t.regex(lines[1], /^15 \d{4}-\d{2}-\d{2}$/);
  t.is(lines[2], 'Exception deterministic failure');
  t.regex(stdout, /Traceback \(most recent call last\)[\s\S]*in failing/);
  t.regex(stdout, /\[\s*0,\s+1,\s+4,\s+9,\s+16,\s+25,\s+36,\s+49,\s+64,\s+81\s*\]/);
  t.true(lines.includes('6 Hello World'), stdout);
  t.true(lines.includes('hello world function'), stdout);
  t.regex(stdout, /function_uuid\s+\| name\s+\| runtime/);
  t.true(lines.includes('Status: online') && lines.includes('Workers: 2'), stdout);
  t.regex(stdout, /Estimates: \[ [\d.]+, [\d.]+, [\d.]+ \] Average: 3\.1\d+/);
  t.regex(lines.at(-2)!, /^42 [0-9a-f-]{36}$/);
});
