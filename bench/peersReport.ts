/**
 * The peers bench's output: one table of every row (tasks/s, round trip median and p99, each as a
 * ratio to Celery's), the MariaDB/SQLite ratios, and issue 21's targets, each beside the figure it
 * bounds with "met" or "not met" (or "not measured" when its rows were left out).
 */
import { percentile } from './processes.js';

export interface PeerFigures {
  key: string;
  name: string;
  idiom: string;
  /** The figure: the mean of the throughput rounds. */
  tasksPerS: number;
  /** Each round's tasks/s, in the order run. */
  throughputRounds: number[];
  /** Each round's CPU time of the row's funcX-TS service process per task (ms); none for Celery. */
  serviceCpuMsPerTask?: number[];
  roundTripsMs: number[];
  /** The Python client's round trips the upstream SDKs' way (run, wait_for_tasks, get_result), each beside a call of the same turn. */
  runWait?: { idiom: string; roundTripsMs: number[] };
}

export interface TargetCheck {
  target: string;
  figure: string;
  bound: string;
  /** undefined: a row it needs was not measured. */
  met: boolean | undefined;
}

/** The row issue 21's funcX-TS targets are about: the Python client on npm start's SQLite. */
export const FUNCX_ROW = 'python-client';
export const MARIADB_ROW = 'mariadb';
export const CELERY_ROW = 'celery';

const median = (row: PeerFigures) => percentile(row.roundTripsMs, 0.5);
const p99 = (row: PeerFigures) => percentile(row.roundTripsMs, 0.99);
const ms = (value: number) => `${value.toFixed(2)} ms`;
const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;

/** Issue 21's targets for this bench, checked against one run's rows. */
export function issue21Targets(rows: PeerFigures[]): TargetCheck[] {
  const row = (key: string) => rows.find((candidate) => candidate.key === key);
  const funcx = row(FUNCX_ROW);
  const mariadb = row(MARIADB_ROW);
  const celery = row(CELERY_ROW);
  const check = (target: string, figure: () => [number, string], bound: () => [number, string], needs: (PeerFigures | undefined)[], atLeast: boolean): TargetCheck => {
    if (needs.some((needed) => needed === undefined)) return { target, figure: '–', bound: '–', met: undefined };
    const [value, shownValue] = figure();
    const [limit, shownLimit] = bound();
    return { target, figure: shownValue, bound: `${atLeast ? '≥' : '≤'} ${shownLimit}`, met: atLeast ? value >= limit : value <= limit };
  };
  return [
    check('funcX-TS round trip median ≤ Celery\'s', () => [median(funcx!), ms(median(funcx!))], () => [median(celery!), ms(median(celery!))], [funcx, celery], false),
    check('funcX-TS round trip p99 ≤ 2 × Celery\'s', () => [p99(funcx!), ms(p99(funcx!))], () => [2 * p99(celery!), ms(2 * p99(celery!))], [funcx, celery], false),
    check('funcX-TS throughput ≥ 5 × Celery\'s', () => [funcx!.tasksPerS, rate(funcx!.tasksPerS)], () => [5 * celery!.tasksPerS, rate(5 * celery!.tasksPerS)], [funcx, celery], true),
    check('MariaDB throughput ≥ 2,000 tasks/s', () => [mariadb!.tasksPerS, rate(mariadb!.tasksPerS)], () => [2000, rate(2000)], [mariadb], true),
    check('MariaDB throughput ≥ 0.7 × SQLite\'s', () => [mariadb!.tasksPerS, rate(mariadb!.tasksPerS)], () => [0.7 * funcx!.tasksPerS, rate(0.7 * funcx!.tasksPerS)], [mariadb, funcx], true),
    check('MariaDB round trip median ≤ 1.5 × SQLite\'s', () => [median(mariadb!), ms(median(mariadb!))], () => [1.5 * median(funcx!), ms(1.5 * median(funcx!))], [mariadb, funcx], false),
  ];
}

export function printPeersReport(report: {
  rows: PeerFigures[];
  tasks: number;
  roundTrips: number;
  rounds: number;
  setup: string[];
  memory: string[];
  load: { start: number[]; end: number[]; cores: number };
}): void {
  const { rows } = report;
  const celery = rows.find((row) => row.key === CELERY_ROW);
  const ratio = (value: number, base: number | undefined) => (base === undefined ? '–' : (value / base).toFixed(2));
  const load = (figures: number[]) => `${figures[0].toFixed(1)} / ${figures[1].toFixed(1)}`;
  console.log(`\npeers: ${report.tasks} no-op tasks per row and throughput round (${report.rounds} rounds, the rows in turn, ` +
    `each round in the reverse order of the one before; the figure is their mean); ${report.roundTrips} round trips per row, interleaved ` +
    `(one of each row in turn, the first row moving on by one every turn); ${report.load.cores} cores, load average (1 / 5 min) ` +
    `${load(report.load.start)} at the start, ${load(report.load.end)} at the end`);
  for (const line of report.setup) console.log(line);
  console.log('| | idiom | tasks/s | × Celery | round trip median | × Celery | p99 | × Celery |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(`| ${row.name} | ${row.idiom} | ${row.tasksPerS.toFixed(0)} | ${ratio(row.tasksPerS, celery?.tasksPerS)} | ${ms(median(row))} | ` +
      `${ratio(median(row), celery && median(celery))} | ${ms(p99(row))} | ${ratio(p99(row), celery && p99(celery))} |`);
  }
  for (const row of rows.filter((candidate) => candidate.runWait)) {
    const other = { ...row, roundTripsMs: row.runWait!.roundTripsMs };
    console.log(`${row.name}, a round trip as ${row.runWait!.idiom} (the upstream SDKs' idiom; beside each call above, each going first every other turn): median ${ms(median(other))}, ` +
      `${ratio(median(other), celery && median(celery))} × Celery's; p99 ${ms(p99(other))}, ${ratio(p99(other), celery && p99(celery))} ×`);
  }
  const sqlite = rows.find((row) => row.key === FUNCX_ROW);
  const mariadb = rows.find((row) => row.key === MARIADB_ROW);
  if (sqlite && mariadb) {
    console.log(`MariaDB / SQLite (Python client, this run): throughput ${ratio(mariadb.tasksPerS, sqlite.tasksPerS)} ×, ` +
      `round trip median ${ratio(median(mariadb), median(sqlite))} ×, p99 ${ratio(p99(mariadb), p99(sqlite))} ×`);
  }
  console.log(`throughput rounds (tasks/s, in the order run): ${rows.map((row) => `${row.key} ${row.throughputRounds.map((value) => value.toFixed(0)).join(', ')}`).join('; ')}`);
  const withService = rows.filter((row) => (row.serviceCpuMsPerTask ?? []).length > 0);
  if (withService.length > 0) {
    console.log(`funcX-TS service CPU per task in each round (ms, the service process alone; SQLite rows share one service): ${withService.map((row) => `${row.key} ${row.serviceCpuMsPerTask!.map((value) => value.toFixed(2)).join(', ')}`).join('; ')}`);
  }
  for (const line of report.memory) console.log(line);
  console.log('\ntargets (issue 21), this run:');
  console.log('| target | figure | bound | |');
  console.log('| --- | ---: | ---: | --- |');
  for (const check of issue21Targets(rows)) {
    console.log(`| ${check.target} | ${check.figure} | ${check.bound} | ${check.met === undefined ? 'not measured' : check.met ? 'met' : 'NOT MET'} |`);
  }
}
