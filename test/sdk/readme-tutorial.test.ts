/**
 * The TypeScript tutorials, exactly as printed: the README's short one and the full one in
 * docs/tutorials.md, each compiled with the command the README gives and run against a live
 * service and a real endpoint, configured only by a quickstart.json, as `npm start` leaves it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { codeBlock } from '../helpers/docBlocks.js';
import { packageRoot } from '../../src/util/paths.js';

const run = promisify(execFile);

/** Compiles and runs `program` in a folder like the user's; returns its stdout lines. */
async function runTutorial(t: ExecutionContext, live: LiveService, name: string, program: string): Promise<{ stdout: string; lines: string[] }> {
  const endpoint = await startEndpointProcess(t, live);
  const root = packageRoot();
  // A folder like the user's: the program, `funcx-ts` in node_modules, and ./.funcx/quickstart.json.
  const dir = path.join(live.database.dir, name);
  mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  mkdirSync(path.join(dir, '.funcx'));
  symlinkSync(path.join(root, 'sdk'), path.join(dir, 'node_modules', 'funcx-ts'), 'dir'); // the funcx-ts package (workspace sdk/, built into sdk/dist)
  symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(dir, '.funcx', 'quickstart.json'), JSON.stringify({ service_url: live.url, token: live.adminToken, endpoint_id: endpoint.endpointId }));
  writeFileSync(path.join(dir, 'tutorial.ts'), program);

  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = await run(process.execPath, [tsc, '--module', 'nodenext', '--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--skipLibCheck', 'tutorial.ts'], { cwd: dir })
    .then(() => 'ok', (error) => String(error.stdout) + String(error.stderr));
  t.is(compiled, 'ok');
  const { stdout } = await run(process.execPath, ['tutorial.js'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  return { stdout, lines: stdout.split('\n') };
}

serviceTest("the README's TypeScript tutorial compiles and runs as written", async (t, live) => {
  const { stdout, lines } = await runTutorial(t, live, 'readme', codeBlock('README.md', '## Tutorial in TypeScript', 'ts'));
  t.deepEqual(lines.slice(0, 5), ['Hello World!', 'Hello World!', '15', 'Exception deterministic failure', '[ 2, 4, 6 ]'], stdout);
});

serviceTest("docs/tutorials.md's TypeScript tutorial compiles and runs as written", async (t, live) => {
  const { stdout, lines } = await runTutorial(t, live, 'tutorials', codeBlock('docs/tutorials.md', '## Tutorial in TypeScript', 'ts'));
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
