/**
 * Identity mapping, in the administrator's order (exact, expressions on claims,
 * external command), and the accounts it may never name (root, system accounts).
 * Real processes for the command, the real user database (getent) for accounts.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { mapIdentity } from '../../endpoint/multiUser/mapping.js';
import { targetAccount } from '../../endpoint/multiUser/accounts.js';
import type { IdentityMappingSettings } from '../../endpoint/multiUser/settings.js';

const alice = { identity: 'alice@example.org', claims: {} };

function scriptDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-mapping-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function script(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const rules = (overrides: Partial<IdentityMappingSettings>): IdentityMappingSettings => ({ exact: new Map(), expressions: [], ...overrides });

test('exact entries come first, then expressions, then the command', async (t) => {
  const dir = scriptDir(t);
  const command = { argv: [script(dir, 'map.sh', 'echo \'{"local_user": "fromcommand"}\'')], timeoutMs: 5000 };
  const expressions = [{ source: '{username}', match: new RegExp('^(?:([a-z]+)@example\\.org)$', 'u'), output: '{0}x' }];
  t.like(await mapIdentity(alice, rules({ exact: new Map([['alice@example.org', 'exactly']]), expressions, command })), { mapped: true, localUser: 'exactly', rule: 'exact' });
  t.like(await mapIdentity(alice, rules({ expressions, command })), { mapped: true, localUser: 'alicex', rule: 'expressions[0]' });
  t.like(await mapIdentity({ identity: 'bob@elsewhere.net', claims: {} }, rules({ expressions, command })), { mapped: true, localUser: 'fromcommand', rule: 'command' });
});

test('expressions match the whole claim, use claims such as email, and need the claims they name', async (t) => {
  const expressions = [{ source: '{email}', match: new RegExp('^(?:(.+)@example\\.org)$', 'u'), output: '{0}' }];
  t.like(await mapIdentity({ identity: 'sub-123', claims: { email: 'carol@example.org' } }, rules({ expressions })), { mapped: true, localUser: 'carol' });
  t.like(await mapIdentity({ identity: 'sub-123', claims: { email: 'carol@example.org.evil.net' } }, rules({ expressions })), { mapped: false });
  t.like(await mapIdentity({ identity: 'sub-123', claims: {} }, rules({ expressions })), { mapped: false });
  const byClaim = [{ source: '{campus_id}', match: new RegExp('^(?:u(\\d+))$', 'u'), output: 'user{0}' }];
  t.like(await mapIdentity({ identity: 'x', claims: { campus_id: 'u42' } }, rules({ expressions: byClaim })), { mapped: true, localUser: 'user42' });
});

test('a name that is no account name (a path, a flag, a newline) is refused, whatever rule gave it', async (t) => {
  for (const name of ['../root', '-u0', 'alice\nroot', 'a b', '']) {
    const result = await mapIdentity(alice, rules({ exact: new Map([['alice@example.org', name]]) }));
    t.false(result.mapped, JSON.stringify(name));
  }
});

test('the mapping command reads the identity as JSON; null means not mapped; garbage and failures are not mapped', async (t) => {
  const dir = scriptDir(t);
  const echoUser = script(dir, 'echo.sh', 'python3 -c \'import json,sys; d=json.load(sys.stdin); print(json.dumps({"local_user": d["username"].split("@")[0] + "_" + d["claims"]["site"]}))\'');
  t.like(await mapIdentity({ identity: 'dan@example.org', claims: { site: 'x' } }, rules({ command: { argv: [echoUser], timeoutMs: 10_000 } })), { mapped: true, localUser: 'dan_x' });
  const none = script(dir, 'none.sh', 'echo \'{"local_user": null}\'');
  t.deepEqual(await mapIdentity(alice, rules({ command: { argv: [none], timeoutMs: 5000 } })), { mapped: false, reason: 'alice@example.org matches no identity mapping rule of this endpoint' });
  const garbage = script(dir, 'garbage.sh', 'echo not json');
  t.deepEqual(await mapIdentity(alice, rules({ command: { argv: [garbage], timeoutMs: 5000 } })), { mapped: false, reason: 'the mapping command did not print JSON' });
  const failing = script(dir, 'fail.sh', 'echo broken >&2; exit 3');
  t.deepEqual(await mapIdentity(alice, rules({ command: { argv: [failing], timeoutMs: 5000 } })), { mapped: false, reason: 'the mapping command failed (exit code 3): broken' });
});

test('a mapping command that hangs is timed out and killed, with whatever it started', async (t) => {
  const dir = scriptDir(t);
  const pidFile = path.join(dir, 'child.pid');
  const hang = script(dir, 'hang.sh', `sleep 300 & echo $! > ${pidFile}; wait`);
  const result = await mapIdentity(alice, rules({ command: { argv: [hang], timeoutMs: 300 } }));
  t.deepEqual(result, { mapped: false, reason: 'the mapping command timed out after 300 ms' });
  const { readFileSync } = await import('node:fs');
  const sleeper = Number(readFileSync(pidFile, 'utf8'));
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(sleeper, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } catch {
      alive = false;
    }
  }
  t.false(alive, 'the command\'s own child was killed with it');
});

test('root and accounts below the uid floor are never a target; unknown accounts are refused', async (t) => {
  t.deepEqual(await targetAccount('root', 1000), { ok: false, reason: 'the identity maps to "root", a root account, which is never a target' });
  t.deepEqual(await targetAccount('daemon', 1000), { ok: false, reason: 'the identity maps to "daemon" (uid 1), a system account below uid 1000, which is never a target' });
  t.deepEqual(await targetAccount('no-such-account-fx', 1000), { ok: false, reason: 'the identity maps to "no-such-account-fx", which is no local account' });
  t.like(await targetAccount('daemon', 1), { ok: true, account: { name: 'daemon', uid: 1 } });
});
