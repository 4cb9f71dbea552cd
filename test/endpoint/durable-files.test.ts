/**
 * The spool and endpoint.json are written atomically (temp file, fsync,
 * rename, directory fsync): what is written reads back whole, with mode 0600,
 * and no temp file is left behind; a replacement is a new file (inode), and a
 * write that fails half-way leaves the old file as it was.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ResultSpool, type SpooledResult } from '../../endpoint/spool.js';
import { readIdentity, writeIdentity } from '../../endpoint/identity.js';
import { endpointPaths } from '../../endpoint/paths.js';

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-durable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const result = (taskId: string, attempt: number): SpooledResult => ({
  task_id: taskId, lease_token: 'token', attempt, status: 'success', result: JSON.stringify('x'.repeat(100_000)), result_serializer: 'json',
});

test('spooled results read back whole, mode 0600, with no temp files left', (t) => {
  const dir = path.join(tempDir(t), 'spool');
  const spool = new ResultSpool(dir);
  const first = result('00000000-0000-4000-8000-000000000001', 1);
  const second = result('00000000-0000-4000-8000-000000000002', 2);
  spool.write(first);
  spool.write(second);
  spool.write({ ...second, result: '"rewritten"' }); // the same attempt again replaces it
  t.deepEqual(readdirSync(dir).sort(), ['00000000-0000-4000-8000-000000000001.1.json', '00000000-0000-4000-8000-000000000002.2.json']);
  for (const name of readdirSync(dir)) t.is(statSync(path.join(dir, name)).mode & 0o777, 0o600);
  const pending = new ResultSpool(dir).pending().sort((a, b) => a.task_id.localeCompare(b.task_id));
  t.deepEqual(pending, [first, { ...second, result: '"rewritten"' }]);
  spool.remove(first);
  t.deepEqual(readdirSync(dir), ['00000000-0000-4000-8000-000000000002.2.json']);
});

test('a temp file left by a crash is dropped, never read as a result', (t) => {
  const dir = path.join(tempDir(t), 'spool');
  const spool = new ResultSpool(dir);
  writeFileSync(path.join(dir, '00000000-0000-4000-8000-000000000003.1.json.123.tmp'), '{"task_id":');
  t.deepEqual(spool.pending(), []);
  t.deepEqual(readdirSync(dir), []);
});

test('endpoint.json is replaced atomically with mode 0600: a new file renamed over the old one', (t) => {
  const paths = endpointPaths('durable', tempDir(t));
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.identity, '{"old": true}', { mode: 0o644 });
  chmodSync(paths.identity, 0o644);
  const oldInode = statSync(paths.identity).ino;
  const identity = { endpoint_id: '00000000-0000-4000-8000-000000000004', credential: 'secret', service_url: 'http://127.0.0.1:1' };
  writeIdentity(paths, identity);
  t.deepEqual(readIdentity(paths), identity);
  t.is(statSync(paths.identity).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(paths.dir), [path.basename(paths.identity)]);
  // What a rename leaves behind: another inode under the name (a write in place keeps the old one).
  const firstInode = statSync(paths.identity).ino;
  t.not(firstInode, oldInode);
  writeIdentity(paths, { ...identity, credential: 'rotated' });
  t.is(readIdentity(paths)?.credential, 'rotated');
  t.not(statSync(paths.identity).ino, firstInode);
  t.deepEqual(readdirSync(paths.dir), [path.basename(paths.identity)]);
});

test('a write of endpoint.json that fails half-way leaves the old file whole', (t) => {
  const paths = endpointPaths('durable', tempDir(t));
  mkdirSync(paths.dir, { recursive: true });
  const identity = { endpoint_id: '00000000-0000-4000-8000-000000000005', credential: 'secret', service_url: 'http://127.0.0.1:1' };
  writeIdentity(paths, identity);
  // A real fault mid-write: a child process whose file size limit (ulimit -f 1: 512 or 1024
  // bytes) stops the write of a 20 kB identity part-way with EFBIG.
  const script = `import { writeIdentity } from ${JSON.stringify(new URL('../../endpoint/identity.js', import.meta.url).href)};
    writeIdentity(${JSON.stringify(paths)}, { ...${JSON.stringify(identity)}, credential: 'y'.repeat(20000) });`;
  const child = spawnSync('sh', ['-c', 'ulimit -f 1 && exec "$0" "$@"', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.not(child.status, 0, 'the write was meant to fail');
  t.regex(child.stderr, /EFBIG/, 'it failed on the size limit, part-way through');
  t.deepEqual(readIdentity(paths), identity, 'the old identity is still there, whole');
  t.deepEqual(readdirSync(paths.dir), [path.basename(paths.identity)]);
});
