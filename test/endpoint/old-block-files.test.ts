/** An endpoint with blocks removes the block files of earlier runs at start, keeping the latest run's. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { removeOldBlockFiles } from '../../endpoint/blocks/oldBlockFiles.js';

test("removeOldBlockFiles (run by an endpoint with blocks at start) keeps only the latest earlier run's block files and touches no other file", (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-blocks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const blocks = path.join(dir, 'blocks');
  mkdirSync(blocks);
  const runs: [string, string[], number][] = [
    ['legacy', ['b1.json', 'b1.sh', 'b1.out'], 1_000],
    ['aaaaaa', ['b1-aaaaaa.json', 'b1-aaaaaa.sbatch', 'b1-aaaaaa-4711.out', 'b2-aaaaaa.json'], 2_000],
    ['bbbbbb', ['b1-bbbbbb.json', 'b1-bbbbbb.sh', 'b1-bbbbbb.out'], 3_000],
  ];
  for (const [, files, seconds] of runs) {
    for (const name of files) {
      writeFileSync(path.join(blocks, name), '');
      utimesSync(path.join(blocks, name), seconds, seconds);
    }
  }
  writeFileSync(path.join(blocks, 'notes.txt'), 'mine');
  writeFileSync(path.join(blocks, 'b1-bbbbbb.json.bak'), 'mine too');

  const removed = removeOldBlockFiles(blocks);
  t.is(removed.length, 7);
  t.deepEqual(readdirSync(blocks).sort(), ['b1-bbbbbb.json', 'b1-bbbbbb.json.bak', 'b1-bbbbbb.out', 'b1-bbbbbb.sh', 'notes.txt']);
  t.deepEqual(removeOldBlockFiles(blocks), [], 'a second start with no new run removes nothing more');
  t.deepEqual(removeOldBlockFiles(path.join(dir, 'missing')), []);
});
