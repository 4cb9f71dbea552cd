/**
 * The README and docs/ link only to files that exist in this repository, and nothing in them
 * points outside it (no ../shared/..., no absolute paths).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { packageRoot } from '../../src/util/paths.js';

const root = packageRoot();
const pages = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Relative link targets of a Markdown page (not URLs, not in-page anchors), without their #anchor. */
function relativeLinks(page: string): string[] {
  const text = readFileSync(path.join(root, page), 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]);
}

test('every relative link in the README and docs/ names a file in the repository', (t) => {
  for (const page of pages) {
    for (const target of relativeLinks(page)) {
      const resolved = path.resolve(root, path.dirname(page), target);
      t.true(resolved.startsWith(root + path.sep), `${page} links outside the repository: ${target}`);
      t.true(existsSync(resolved), `${page} links to a missing file: ${target}`);
    }
  }
});

test('no page points at a path outside the repository', (t) => {
  for (const page of pages) {
    const text = readFileSync(path.join(root, page), 'utf8');
    t.notRegex(text, /\.\.\/shared\/|ARCHITECTURE\.md/, page);
  }
});
