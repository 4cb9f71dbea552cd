/**
 * The outbox keeps results in memory and writes a result to the spool only
 * when asked (it cannot be posted now); an acknowledged result leaves the
 * spool; a replaced result is rewritten on disk only if it was there.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ResultOutbox } from '../../endpoint/resultOutbox.js';
import { ResultSpool, type SpooledResult } from '../../endpoint/spool.js';

function spoolDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'spool');
}

const result = (n: number): SpooledResult => ({
  task_id: `00000000-0000-4000-8000-00000000000${n}`, lease_token: 'token', attempt: 1, status: 'success', result: String(n), result_serializer: 'json',
});

test('a result posted from memory never touches the disk', (t) => {
  const dir = spoolDir(t);
  const outbox = new ResultOutbox(new ResultSpool(dir));
  outbox.add(result(1), false);
  outbox.add(result(2), false);
  t.deepEqual(outbox.first(10), [result(1), result(2)]);
  t.deepEqual(readdirSync(dir), []);
  outbox.acknowledged(2);
  t.is(outbox.length, 0);
  t.deepEqual(readdirSync(dir), []);
});

test('results that cannot be posted go to the spool, and leave it when acknowledged', (t) => {
  const dir = spoolDir(t);
  const spool = new ResultSpool(dir);
  const outbox = new ResultOutbox(spool);
  outbox.add(result(1), true); // the service was known to be down
  outbox.add(result(2), false);
  t.deepEqual(readdirSync(dir), [`${result(1).task_id}.1.json`]);
  t.is(outbox.makeDurable(), 1); // a post failed: the rest follow
  t.is(outbox.makeDurable(), 0);
  t.deepEqual(spool.pending().sort((a, b) => a.task_id.localeCompare(b.task_id)), [result(1), result(2)]);
  outbox.acknowledged(1);
  t.deepEqual(readdirSync(dir), [`${result(2).task_id}.1.json`]);
});

test('a replaced result is rewritten on disk only if it was there; a dropped one leaves the disk', (t) => {
  const dir = spoolDir(t);
  const spool = new ResultSpool(dir);
  const outbox = new ResultOutbox(spool);
  const inMemory = result(1);
  const onDisk = result(2);
  outbox.add(inMemory, false);
  outbox.add(onDisk, true);
  outbox.replace(inMemory, { ...inMemory, result: '"replaced"' });
  outbox.replace(onDisk, { ...onDisk, result: '"replaced"' });
  t.deepEqual(spool.pending(), [{ ...onDisk, result: '"replaced"' }]);
  t.deepEqual(outbox.first(2).map((r) => r.result), ['"replaced"', '"replaced"']);
  outbox.drop(outbox.first(2)[1]);
  t.deepEqual(readdirSync(dir), []);
  t.is(outbox.length, 1);
});

test('results restored from the spool (an earlier run or version) are on disk until acknowledged', (t) => {
  const dir = spoolDir(t);
  const spool = new ResultSpool(dir);
  spool.write(result(3)); // as an older version wrote it: one file per result
  const outbox = new ResultOutbox(spool);
  outbox.restore(spool.pending());
  t.is(outbox.makeDurable(), 0);
  outbox.acknowledged(1);
  t.deepEqual(readdirSync(dir), []);
});
