/**
 * The lock that keeps two processes from renewing one stored login at once (a refresh token is
 * good once): TypeScript (sdk/fileLock.ts) and Python (sdk/python/funcx_ts/file_lock.py) processes
 * take it in turn, never together; a lock left by a dead process is broken.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { withFileLock } from '../../sdk/fileLock.js';
import { SDK_PYTHON } from '../sdk-python/support.js';

const FILE_LOCK = fileURLToPath(new URL('../../sdk/fileLock.js', import.meta.url));

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<number | null> {
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve) => child.once('close', resolve));
}

test('Node and Python processes holding the lock never overlap', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'credentials.json');
  const journal = path.join(dir, 'journal');
  const go = path.join(dir, 'go');
  writeFileSync(journal, '');
  // Each holder writes "in PID", waits, then "out PID": overlapping holders would interleave.
  const node = `
    import { appendFileSync, existsSync } from 'node:fs';
    const { withFileLock } = await import(${JSON.stringify(FILE_LOCK)});
    while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
    for (let i = 0; i < 3; i++) {
      await withFileLock(${JSON.stringify(file)}, async () => {
        appendFileSync(${JSON.stringify(journal)}, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 30));
        appendFileSync(${JSON.stringify(journal)}, 'out ' + process.pid + '\\n');
      });
    }`;
  const python = `
import os, time
from funcx_ts.file_lock import file_lock
while not os.path.exists(${JSON.stringify(go)}):
    time.sleep(0.002)
for _ in range(3):
    with file_lock(${JSON.stringify(file)}):
        with open(${JSON.stringify(journal)}, "a") as f: f.write("in %d\\n" % os.getpid())
        time.sleep(0.03)
        with open(${JSON.stringify(journal)}, "a") as f: f.write("out %d\\n" % os.getpid())
`;
  const holders = [
    ...Array.from({ length: 3 }, () => run(process.execPath, ['--input-type=module', '-e', node])),
    ...Array.from({ length: 3 }, () => run('python3', ['-c', python], { PYTHONPATH: SDK_PYTHON, PYTHONDONTWRITEBYTECODE: '1' })),
  ];
  writeFileSync(go, '');
  t.deepEqual(await Promise.all(holders), [0, 0, 0, 0, 0, 0]);
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  t.is(lines.length, 6 * 3 * 2);
  for (let i = 0; i < lines.length; i += 2) {
    const [inWord, pid] = lines[i].split(' ');
    t.deepEqual([inWord, lines[i + 1]], ['in', `out ${pid}`], `holders overlapped at line ${i + 1}:\n${lines.join('\n')}`);
  }
  t.false(existsSync(`${file}.lock`), 'the last holder removed the lock');
});

test('a lock left by a process that died is broken at once; the holder removes its own lock', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'credentials.json');
  // Beyond the kernel's pid_max: surely not running.
  writeFileSync(`${file}.lock`, `4194305 ${os.hostname()}`);
  const held = await withFileLock(file, async () => readFileSync(`${file}.lock`, 'utf8'), { timeoutMs: 60_000 });
  t.is(held, `${process.pid} ${os.hostname()}`);
  t.false(existsSync(`${file}.lock`));
});
