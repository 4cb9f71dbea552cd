/**
 * endpoint.session: each run's id becomes the next run's `previous` (what its
 * start reconciles), a run that dies before reconciling passes its
 * predecessors on, and a file that is not ours names no previous session.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSession } from '../../endpoint/session.js';
import { endpointPaths } from '../../endpoint/paths.js';

function paths(t: import('ava').ExecutionContext) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-session-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const p = endpointPaths('ep', home);
  mkdirSync(p.dir, { recursive: true });
  return p;
}

test('a first run has no previous session; each run\'s id is the next run\'s previous, and a reconciled run passes on only itself', (t) => {
  const p = paths(t);
  const first = startSession(p);
  t.deepEqual(first.previous, []);
  t.regex(first.id, /^[A-Za-z0-9_-]{8,64}$/);
  t.is(statSync(p.session).mode & 0o777, 0o600);
  const second = startSession(p);
  t.not(second.id, first.id);
  t.deepEqual(second.previous, [first.id]);
  second.reconciled();
  t.deepEqual(JSON.parse(readFileSync(p.session, 'utf8')), { session: second.id, unreconciled: [] });
  t.deepEqual(startSession(p).previous, [second.id]);
});

test('a run that dies before its reconcile passes its predecessors on to the next', (t) => {
  const p = paths(t);
  const first = startSession(p);
  const second = startSession(p); // killed before it reconciled
  const third = startSession(p);
  t.deepEqual(third.previous, [second.id, first.id]);
});

test('a file that is not a session file (garbled, or an id the service would refuse) names no previous session', (t) => {
  const p = paths(t);
  for (const content of ['{"session": "bad id!"}', 'not json', '{"unreconciled": ["agent-session-0"]}']) {
    writeFileSync(p.session, content);
    t.deepEqual(startSession(p).previous, [], content);
  }
  writeFileSync(p.session, JSON.stringify({ session: 'agent-session-1', unreconciled: ['agent-session-0', 'bad id!', 7] }));
  t.deepEqual(startSession(p).previous, ['agent-session-1', 'agent-session-0']);
});
