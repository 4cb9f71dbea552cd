/**
 * The house limit of 600 lines per source file is a lint error (eslint.config.js, max-lines), and
 * `npm test` runs the lint: a source file one line over fails, one at the limit passes, and tests are exempt.
 */
import test from 'ava';
import { lintAsIfAt, messagesOf } from './lintAsIfAt.js';

/** A file of `count` lines of plain code (comments and blanks count as well; the rule counts every line). */
const fileOf = (count: number) => Array.from({ length: count }, (_, i) => `export const line${i} = ${i};`).join('\n') + '\n';

for (const folder of ['src', 'endpoint', 'sdk', 'shared', 'action-provider', 'migrations', 'scripts', 'bench', 'console/src']) {
  test(`a 601-line file in ${folder}/ is a max-lines error; a 600-line one is not`, async (t) => {
    t.deepEqual(messagesOf(await lintAsIfAt(`${folder}/lintFixtureTooLong.ts`, fileOf(601)), 'max-lines'), [
      '601: File has too many lines (601). Maximum allowed is 600.',
    ]);
    t.deepEqual(messagesOf(await lintAsIfAt(`${folder}/lintFixtureTooLong.ts`, fileOf(600)), 'max-lines'), []);
  });
}

test('comments and blank lines count toward the 600', async (t) => {
  const padded = fileOf(300) + '\n'.repeat(150) + '// why\n'.repeat(151);
  t.is(messagesOf(await lintAsIfAt('src/lintFixtureTooLong.ts', padded), 'max-lines').length, 1);
});

test('test files are exempt', async (t) => {
  t.deepEqual(messagesOf(await lintAsIfAt('test/service/lintFixtureTooLong.test.ts', fileOf(700)), 'max-lines'), []);
});
