/**
 * The peers bench's verdicts on issue 21's targets: each bound is the one the issue states,
 * computed from the same run's rows, on the right side (at most / at least), and a target whose
 * rows were left out says so instead of passing.
 */
import test from 'ava';
import { issue21Targets, type PeerFigures } from '../../bench/peersReport.js';

/** A row whose round trips have this median and p99 (100 samples: 50th and 99th of them). */
function row(key: string, tasksPerS: number, medianMs: number, p99Ms: number): PeerFigures {
  const samples = Array.from({ length: 100 }, (_, i) => (i < 50 ? medianMs / 2 : i < 99 ? medianMs : p99Ms));
  return { key, name: key, idiom: '', tasksPerS, throughputRounds: [tasksPerS], roundTripsMs: samples };
}

const verdicts = (rows: PeerFigures[]) => Object.fromEntries(issue21Targets(rows).map((check) => [check.target, check.met]));

test('every target met when funcX-TS and MariaDB sit exactly on their bounds', (t) => {
  const celery = row('celery', 700, 2, 5);
  const sqlite = row('python-client', 3500, 2, 10); // median = Celery's, p99 = 2 ×, throughput = 5 ×
  const mariadb = row('mariadb', 2450, 3, 20); // 2,450 = 0.7 × 3,500 and ≥ 2,000; median 1.5 × SQLite's
  const checks = issue21Targets([sqlite, mariadb, celery]);
  t.deepEqual(checks.map((check) => check.met), [true, true, true, true, true, true]);
  t.is(checks[0].bound, '≤ 2.00 ms');
  t.is(checks[2].bound, '≥ 3,500/s');
});

test('each target fails on its own side of its bound', (t) => {
  const celery = row('celery', 700, 2, 5);
  t.like(verdicts([row('python-client', 3500, 2.01, 10), celery]), { "funcX-TS round trip median ≤ Celery's": false, "funcX-TS round trip p99 ≤ 2 × Celery's": true });
  t.like(verdicts([row('python-client', 3500, 2, 10.01), celery]), { "funcX-TS round trip p99 ≤ 2 × Celery's": false, "funcX-TS throughput ≥ 5 × Celery's": true });
  t.like(verdicts([row('python-client', 3499, 2, 10), celery]), { "funcX-TS throughput ≥ 5 × Celery's": false });
  const sqlite = row('python-client', 4000, 2, 10);
  t.like(verdicts([sqlite, row('mariadb', 1999, 2, 10), celery]), { 'MariaDB throughput ≥ 2,000 tasks/s': false, "MariaDB throughput ≥ 0.7 × SQLite's": false });
  t.like(verdicts([sqlite, row('mariadb', 2700, 2, 10), celery]), { 'MariaDB throughput ≥ 2,000 tasks/s': true, "MariaDB throughput ≥ 0.7 × SQLite's": false });
  t.like(verdicts([sqlite, row('mariadb', 2800, 3.01, 10), celery]), { "MariaDB throughput ≥ 0.7 × SQLite's": true, "MariaDB round trip median ≤ 1.5 × SQLite's": false });
});

test('a target whose rows were not measured is neither met nor failed', (t) => {
  const checks = issue21Targets([row('mariadb', 2500, 3, 20)]);
  t.deepEqual(checks.map((check) => check.met), [undefined, undefined, undefined, true, undefined, undefined]);
  t.is(checks[0].figure, '–');
});
