/**
 * Code blocks of the repository's Markdown (README.md, docs/*.md), exactly as printed, so
 * tests can run what a user would copy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

/**
 * The `index`-th ```lang block of the section that starts at the first line beginning with
 * `heading` in `file` (relative to the package root); the section ends at the next heading of
 * level 1 or 2 outside a code block.
 */
export function codeBlock(file: string, heading: string, lang: string, index = 0): string {
  const lines = readFileSync(path.join(packageRoot(), file), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  if (start < 0) throw new Error(`${file}: no heading "${heading}"`);
  const blocks: string[] = [];
  let open: string[] | undefined;
  let openLang = '';
  for (const line of lines.slice(start + 1)) {
    if (open) {
      if (line.startsWith('```')) {
        if (openLang === lang) blocks.push(open.join('\n'));
        open = undefined;
      } else open.push(line);
      continue;
    }
    if (line.startsWith('```')) {
      open = [];
      openLang = line.slice(3).trim();
    } else if (/^##? /.test(line)) break;
  }
  if (blocks[index] === undefined) throw new Error(`${file}: no \`\`\`${lang} block #${index} under "${heading}"`);
  return blocks[index];
}
