/** Which exits of a per-user endpoint fail its user's tasks, and what the user is told (startUserEndpoint.ts). */
import test from 'ava';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitFailure } from '../../endpoint/multiUser/startUserEndpoint.js';
import { LAUNCH_FAILED } from '../../endpoint/multiUser/launchOrders.js';

function userLog(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-exit-failure-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'alice.log');
}

test('a clean exit (idle) or a kill fails nothing', (t) => {
  const log = userLog(t);
  writeFileSync(log, '{"msg":"earlier run failed"}\n');
  t.is(exitFailure(0, log, 0), undefined);
  t.is(exitFailure(null, log, 0), undefined);
});

test('any other exit is the user\'s to see, with the last lines this run wrote to its log (not an earlier run\'s)', (t) => {
  const log = userLog(t);
  writeFileSync(log, '{"msg":"an earlier run\'s line"}\n');
  const start = Buffer.byteLength('{"msg":"an earlier run\'s line"}\n');
  appendFileSync(log, '{"msg":"loading config"}\nnot json at all\n{"msg":"bad key","err":"provider.max_blocks: must be at least 1"}\n');
  t.is(exitFailure(3, log, start), 'the per-user endpoint exited with code 3: loading config | not json at all | bad key: provider.max_blocks: must be at least 1');
  t.is(exitFailure(LAUNCH_FAILED, log, log.length * 1000), 'the per-user endpoint could not start as the local account');
});
