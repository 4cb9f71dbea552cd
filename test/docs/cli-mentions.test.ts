/**
 * Every command the docs and the console name in backticks (`funcx login`, `funcx-service token
 * create`, `funcx-endpoint start hpc`, ...) is a command the program has: `PROGRAM WORDS --help`
 * exits 0. docs/console.md once told OIDC users to run `funcx token`, which never existed.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { packageRoot } from '../../src/util/paths.js';

const dist = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const PROGRAMS: Record<string, string> = {
  'funcx-service': dist('src/cli/funcx-service.js'),
  'funcx-endpoint': dist('endpoint/cli/funcx-endpoint.js'),
  funcx: dist('sdk/cli/funcx.js'),
};

function mentionedCommands(): Map<string, string[]> {
  const root = packageRoot();
  const files = [
    ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(root, 'docs', f)),
    path.join(root, 'README.md'),
    ...readdirSync(path.join(root, 'console', 'src')).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, 'console', 'src', f)),
  ];
  const mentions = new Map<string, string[]>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/`(funcx(?:-service|-endpoint)?) ([a-z][a-z-]*(?: [a-z][a-z-]*)?)/g)) {
      const key = `${match[1]} ${match[2]}`;
      mentions.set(key, [...(mentions.get(key) ?? []), path.relative(root, file)]);
    }
  }
  return mentions;
}

test('every `funcx …`, `funcx-service …` and `funcx-endpoint …` the docs and the console name is a command (--help exits 0)', async (t) => {
  const mentions = mentionedCommands();
  t.true(mentions.size > 10, `found ${mentions.size} mentions`);
  const missing: string[] = [];
  for (const [mention, files] of mentions) {
    const [program, ...words] = mention.split(' ');
    const ok = await promisify(execFile)(process.execPath, [PROGRAMS[program], ...words, '--help'], { env: { PATH: process.env.PATH } }).then(() => true, () => false);
    if (!ok) missing.push(`\`${mention}\` (${[...new Set(files)].join(', ')})`);
  }
  t.deepEqual(missing, []);
});
