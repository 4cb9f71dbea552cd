/**
 * A consumer outside this folder can `import { Client, Executor } from 'funcx-ts'`
 * (sdk/package.json "exports"), in JavaScript and, with the declarations, in TypeScript.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { packageRoot } from '../../src/util/paths.js';

const run = promisify(execFile);

test("a consumer imports the SDK as 'funcx-ts', with its types", async (t) => {
  const root = packageRoot();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-consumer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(path.join(root, 'sdk'), path.join(dir, 'node_modules', 'funcx-ts'), 'dir'); // the funcx-ts package (workspace sdk/, built into sdk/dist)
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(dir, 'consumer.mjs'), [
    "import { Client, Executor, ShellFunction, TaskPending, RemoteException } from 'funcx-ts';",
    'console.log([Client, Executor, ShellFunction, TaskPending, RemoteException].map((x) => typeof x).join(" "));',
  ].join('\n'));
  const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: dir });
  t.is(stdout.trim(), 'function function function function function');

  // The types: a misuse must fail to compile, the right use must compile.
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    files: ['consumer.ts'],
  }));
  writeFileSync(path.join(dir, 'consumer.ts'), [
    "import { Client, Executor, type TaskRecord } from 'funcx-ts';",
    "const client = new Client({ serviceUrl: 'http://127.0.0.1:1', token: 'x' });",
    "const task: Promise<TaskRecord> = client.getTask('id');",
    "const executor = new Executor({ client, endpointId: 'e' });",
    'const future = executor.submit<number>((x: number) => x * 2, 21);',
    'export const value: Promise<number> = future.then((v) => v + 1);',
    'export { task };',
    '// @ts-expect-error run needs its options object last',
    'void client.run();',
  ].join('\n'));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(() => 'ok', (error) => String(error.stdout));
  t.is(compiled, 'ok');
});
