/**
 * deploy/docker-compose.yml is linted, not run (no container engine here): the shipped file
 * passes scripts/lint-compose.ts, and the mistakes the lint exists for are each reported.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { lintCompose } from '../../scripts/lint-compose.js';
import { packageRoot } from '../../src/util/paths.js';

const deploy = path.join(packageRoot(), 'deploy');

test('the shipped docker-compose.yml (MariaDB, two replicas, HAProxy) passes the lint', (t) => {
  t.deepEqual(lintCompose(path.join(deploy, 'docker-compose.yml')), []);
});

test('an unknown FUNCX_ variable, replicas that disagree, and a balancer naming no replica are reported', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-compose-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'deploy'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  const compose = readFileSync(path.join(deploy, 'docker-compose.yml'), 'utf8')
    .replace('  replica-2:\n    build: ..\n    environment: *funcx-shared\n', '  replica-2:\n    build: ..\n    environment:\n      <<: *funcx-shared\n      FUNCX_LEASE_TIMEOUT: 5m\n      FUNCX_LEASE_TIMOUT: 5m\n');
  t.not(compose, readFileSync(path.join(deploy, 'docker-compose.yml'), 'utf8'));
  writeFileSync(path.join(dir, 'deploy', 'docker-compose.yml'), compose);
  writeFileSync(path.join(dir, 'deploy', 'haproxy.cfg'), readFileSync(path.join(deploy, 'haproxy.cfg'), 'utf8').replace('server replica-2 replica-2:8080', 'server replica-3 replica-3:8080'));
  const problems = lintCompose(path.join(dir, 'deploy', 'docker-compose.yml')).join('\n');
  t.regex(problems, /service replica-2: FUNCX_LEASE_TIMOUT is not an option of funcx-service/);
  t.regex(problems, /FUNCX_LEASE_TIMEOUT differs between replicas \(replica-1: 1m, replica-2: 5m\); it must match/);
  t.regex(problems, /haproxy\.cfg: server replica-3 is not a replica in the compose file/);
});

/** Lints the shipped deploy/ files, each first changed by its `edit`, in a scratch copy. */
function lintEdited(t: import('ava').ExecutionContext, edit: { compose?: (text: string) => string; haproxy?: (text: string) => string }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-compose-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'deploy'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  for (const [file, change] of [['docker-compose.yml', edit.compose], ['haproxy.cfg', edit.haproxy]] as const) {
    const shipped = readFileSync(path.join(deploy, file), 'utf8');
    const changed = change ? change(shipped) : shipped;
    if (change) t.not(changed, shipped, `the edit of ${file} changed nothing`);
    writeFileSync(path.join(dir, 'deploy', file), changed);
  }
  return lintCompose(path.join(dir, 'deploy', 'docker-compose.yml')).join('\n');
}

test('a haproxy.cfg without its health check is reported: the httpchk line gone, or `check` gone from default-server', (t) => {
  const noHttpchk = lintEdited(t, { haproxy: (cfg) => cfg.replace(/^\s*option httpchk GET \/readyz\n/m, '') });
  t.regex(noHttpchk, /haproxy\.cfg: no health check on \/readyz or \/healthz/);
  const noCheck = lintEdited(t, { haproxy: (cfg) => cfg.replace(/(default-server .*) check /, '$1 ') });
  t.regex(noCheck, /haproxy\.cfg: server replica-1 has no health check/);
  t.regex(noCheck, /haproxy\.cfg: server replica-2 has no health check/);
});

test('a database URL naming a host that is no service of the compose file is reported', (t) => {
  const problems = lintEdited(t, { compose: (yml) => yml.replace('@mariadb:3306/funcx', '@mysql:3306/funcx') });
  t.regex(problems, /service replica-1: FUNCX_DATABASE_URL names host "mysql", which is not a service of the compose file/);
  t.regex(problems, /service replica-2: FUNCX_DATABASE_URL names host "mysql"/);
});
