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
