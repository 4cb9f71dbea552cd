/**
 * The import direction between the packages (eslint.config.js, docs/architecture.md "Packages"):
 * the repository's real ESLint and config lint the fixtures in test/lint/fixtures/ as if each
 * were a file in the folder its first line names. A forbidden import must be an error (so
 * `npm run lint` fails), and the imports each package is allowed must pass.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ESLint } from 'eslint';

const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const fixtures = path.join(root, 'test', 'lint', 'fixtures');
const eslint = new ESLint({ cwd: root });

/** A fixture's text and the path it is linted as (its first line: `// Linted as PATH: ...`). */
function fixture(name: string): { code: string; lintedAs: string } {
  const code = readFileSync(path.join(fixtures, `${name}.fixture`), 'utf8');
  const lintedAs = /^\/\/ Linted as (\S+):/.exec(code)?.[1];
  if (!lintedAs) throw new Error(`${name}.fixture: its first line must say "// Linted as PATH:"`);
  return { code, lintedAs };
}

async function importErrors(name: string): Promise<string[]> {
  const { code, lintedAs } = fixture(name);
  const [result] = await eslint.lintText(code, { filePath: path.join(root, lintedAs) });
  return result.messages.filter((message) => message.severity === 2).map((message) => `${message.ruleId}: ${message.message}`);
}

const forbidden = test.macro(async (t, name: string, says: RegExp) => {
  const errors = await importErrors(name);
  t.is(errors.length, 1, errors.join('\n'));
  t.regex(errors[0], /^no-restricted-imports: /);
  t.regex(errors[0], says);
});

test('the endpoint importing the service is an error', forbidden, 'endpoint-imports-service', /funcx-endpoint\) is a package of its own/);
test('the endpoint importing the SDK is an error', forbidden, 'endpoint-imports-sdk', /funcx-endpoint\) is a package of its own/);
test('the endpoint importing shared/ by path (not as @funcx-ts/shared) is an error', forbidden, 'endpoint-imports-shared-by-path', /@funcx-ts\/shared \(by name\)/);
test('the SDK importing the service is an error', forbidden, 'sdk-imports-service', /funcx-ts\) is a package of its own/);
test('the service importing a file of the endpoint is an error', forbidden, 'service-imports-endpoint-file', /only through its public entry/);
test('the service importing a file inside the funcx-endpoint package is an error', forbidden, 'service-imports-endpoint-package-file', /only the package's public entry/);

const forbiddenDynamically = test.macro(async (t, name: string, says: RegExp) => {
  const errors = await importErrors(name);
  t.is(errors.length, 1, errors.join('\n'));
  t.regex(errors[0], /^no-restricted-syntax: /);
  t.regex(errors[0], says);
  t.regex(errors[0], /a dynamic import\(\) too/);
});

test('the endpoint importing the service through a dynamic import() is an error', forbiddenDynamically, 'endpoint-imports-service-dynamically', /funcx-endpoint\) is a package of its own/);
test('the SDK loading the endpoint package through a dynamic import() is an error', forbiddenDynamically, 'sdk-imports-endpoint-dynamically', /does not depend on the endpoint/);
test('shared/ loading an npm package through a dynamic import() is an error', forbiddenDynamically, 'shared-imports-package-dynamically', /node: built-ins only|imports only node: built-ins/);

for (const name of ['endpoint-clean', 'sdk-clean', 'service-clean']) {
  test(`${name}: the imports its package may use pass`, async (t) => {
    t.deepEqual(await importErrors(name), []);
  });
}

test('the eslint command (as `npm run lint` runs it) exits non-zero on a forbidden import and zero on a clean file', async (t) => {
  const run = (name: string) => new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const { code, lintedAs } = fixture(name);
    const child = spawn(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', lintedAs], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ code: exitCode, stdout }));
    child.stdin.end(code);
  });
  const bad = await run('endpoint-imports-service');
  t.is(bad.code, 1, bad.stdout);
  t.regex(bad.stdout, /no-restricted-imports/);
  const clean = await run('endpoint-clean');
  t.is(clean.code, 0, clean.stdout);
});
