/**
 * The Action Provider's boundary (eslint.config.js, src/servicePart.ts): action-provider/ imports the
 * service only through src/forParts.ts (and the generated wire types), and src/ imports the part only
 * through action-provider/index.ts. Fixtures in test/lint/fixtures/action-provider/ are linted with the
 * repository's own config as if they sat in those folders; `npm run lint` (part of `npm test`) ignores them.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { packageRoot } from '../../src/util/paths.js';
import { lintAsIfAt, messagesOf } from './lintAsIfAt.js';

const RULE = '@typescript-eslint/no-restricted-imports';
const fixtureDir = path.join(packageRoot(), 'test', 'lint', 'fixtures', 'action-provider');
const fixture = (name: string) => readFileSync(path.join(fixtureDir, name), 'utf8');
const PART_MESSAGE = 'action-provider/ uses the service only through src/forParts.ts (add the name there if a part really needs it)';
const SERVICE_MESSAGE = 'the service reaches the Action Provider only through action-provider/index.ts';

test('action-provider/ importing the service\'s internals (values, types, re-exports) is an error on each import', async (t) => {
  const messages = messagesOf(await lintAsIfAt('action-provider/lintFixture.ts', fixture('reaches-into-service.ts')), RULE);
  t.deepEqual(messages, [
    `2: '../src/http/jsonBody.js' import is restricted from being used by a pattern. ${PART_MESSAGE}`,
    `3: '../src/http/context.js' import is restricted from being used by a pattern. ${PART_MESSAGE}`,
    `4: '../src/db/transaction.js' import is restricted from being used by a pattern. ${PART_MESSAGE}`,
  ]);
});

test('a file two folders down in action-provider/ is held to the same boundary', async (t) => {
  const messages = messagesOf(await lintAsIfAt('action-provider/store/lintFixture.ts', fixture('store-reaches-into-ledger.ts')), RULE);
  t.deepEqual(messages, [`2: '../../src/ledger/submitTasks.js' import is restricted from being used by a pattern. ${PART_MESSAGE}`]);
});

test('action-provider/ using src/forParts.ts, a generated wire type and its own files lints clean', async (t) => {
  t.deepEqual(await lintAsIfAt('action-provider/store/lintFixture.ts', fixture('uses-public-surface.ts')), []);
});

test('src/ importing a file of action-provider/ other than its index is an error', async (t) => {
  const messages = messagesOf(await lintAsIfAt('src/http/lintFixture.ts', fixture('service-reaches-into-part.ts')), RULE);
  t.deepEqual(messages, [
    `2: '../../action-provider/routes.js' import is restricted from being used by a pattern. ${SERVICE_MESSAGE}`,
    `3: '../../action-provider/model.js' import is restricted from being used by a pattern. ${SERVICE_MESSAGE}`,
  ]);
});

test('src/ importing action-provider/index.ts lints clean', async (t) => {
  t.deepEqual(await lintAsIfAt('src/http/lintFixture.ts', fixture('service-uses-part-index.ts')), []);
});

test('the tree as it is keeps the boundary, and npm run lint does not lint the fixtures themselves', async (t) => {
  const eslint = new ESLint({ cwd: packageRoot() });
  const results = await eslint.lintFiles(['action-provider', 'src']);
  const crossings = results.flatMap((r) => messagesOf(r.messages, RULE).map((m) => `${path.relative(packageRoot(), r.filePath)}:${m}`));
  t.deepEqual(crossings, []);
  t.true(results.some((r) => r.filePath.endsWith(path.join('action-provider', 'index.ts'))), 'the part itself was linted');
  t.true(await eslint.isPathIgnored(path.join(fixtureDir, 'reaches-into-service.ts')));
});
