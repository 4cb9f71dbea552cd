/**
 * `npm run bench -- flood`: what the Python client's throughput path costs MariaDB, per task
 * (issue 21). `funcx-service serve --local-endpoint default` on a private MariaDB (as the peers
 * bench's mariadb row: FUNCX_DATABASE_URL only, innodb_flush_log_at_trx_commit =
 * FUNCX_BENCH_MARIADB_FLUSH, default 2), the Python client (sdk/python) submitting
 * FUNCX_BENCH_TASKS (3,000) no-ops in batches of 1,000, waiting and reading them back, as the
 * peers bench does; FUNCX_BENCH_FLOOD_ROUNDS (3) measured rounds after one warm-up round.
 * Per task, from the server's own counters (they do not move with the machine's load):
 * Questions, Com_select/insert/update/delete/begin/commit, Handler_commit; and tasks/s (which
 * does move: alternate builds, compare medians).
 * FUNCX_BENCH_FLOOD_LOG=1 also logs every statement of one more round (the private server's
 * performance_schema statement digests) and prints each distinct statement (literals
 * folded) with its count, its time inside the server and the rows it examined, per task, so each
 * request path's share can be read. The bench changes settings of its own private
 * server only; the service changes none.
 * FUNCX_BENCH_SERVICE_REPO measures another build (a checkout with its own dist/), for a before/after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { openDatabase } from '../src/db/connect.js';
import { startMariaDb } from '../test/helpers/mariadb.js';
import { childrenMatching, cpuSeconds, descendantsOf, succeeds } from './processes.js';
import { startPythonPeer } from './peerDriver.js';
import { defaultEnv, startFuncxService } from './peerServices.js';
import { createDatabase } from './inProcessService.js';
import { logStatements, printStatements, STATEMENT_LOG_ARGS } from './statementLog.js';

const TASKS = Number(process.env.FUNCX_BENCH_TASKS ?? 3000);
const ROUNDS = Number(process.env.FUNCX_BENCH_FLOOD_ROUNDS ?? 3);
const FLUSH = Number(process.env.FUNCX_BENCH_MARIADB_FLUSH ?? 2);
/** sqlite: the same flood on the embedded SQLite (CPU per task and tasks/s only), for the comparison. */
const ON_SQLITE = process.env.FUNCX_BENCH_FLOOD_DB === 'sqlite';
const GENERAL_LOG = process.env.FUNCX_BENCH_FLOOD_LOG === '1';
const PYTHON = process.env.FUNCX_BENCH_PYTHON ?? (succeeds('/usr/bin/python3', ['-c', '']) ? '/usr/bin/python3' : 'python3');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SERVICE_REPO = path.resolve(process.env.FUNCX_BENCH_SERVICE_REPO ?? REPO);
const COUNTERS = [
  'Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_begin', 'Com_commit', 'Handler_commit', 'Com_stmt_execute',
  'Innodb_rows_read', 'Innodb_rows_inserted', 'Innodb_rows_updated', 'Innodb_rows_deleted', 'Handler_read_key', 'Handler_read_next', 'Handler_read_rnd_next', 'Handler_write', 'Handler_update', 'Bytes_received', 'Bytes_sent',
] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

/** CPU seconds of `pid` and every live descendant (reaped children are not counted). */
function treeCpu(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendantsOf(pid)]) {
    try {
      total += cpuSeconds(p);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

async function counters(admin: Knex): Promise<Counters> {
  const [rows] = (await admin.raw('SHOW GLOBAL STATUS')) as [{ Variable_name: string; Value: string }[]];
  const all = new Map(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  return Object.fromEntries(COUNTERS.map((c) => [c, all.get(c) ?? 0])) as Counters;
}

export async function runFloodBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-bench-flood-'));
  const server = await startMariaDb({ flushLogAtTrxCommit: FLUSH, serverArgs: GENERAL_LOG ? STATEMENT_LOG_ARGS : [] });
  const admin = openDatabase(server.url, { poolMax: 1 });
  let service: Awaited<ReturnType<typeof startFuncxService>> | undefined;
  let peer: Awaited<ReturnType<typeof startPythonPeer>> | undefined;
  try {
    const databaseUrl = ON_SQLITE ? undefined : await createDatabase(server.url, 'funcx');
    service = await startFuncxService({ repo: SERVICE_REPO, home: path.join(dir, 'home'), databaseUrl });
    peer = await startPythonPeer({
      key: 'mariadb', python: PYTHON, driverDir: path.join(REPO, 'bench', 'python'), kind: 'funcx-client', name: 'Python client on MariaDB',
      env: { ...defaultEnv(), FUNCX_HOME: service.home, PYTHONPATH: [path.join(REPO, 'bench', 'python'), path.join(REPO, 'sdk', 'python')].join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1' },
    });
    await peer.warm();
    await peer.throughput(TASKS);
    const servicePid = service.group.child.pid!;
    const agentPid = childrenMatching(servicePid, 'funcx-endpoint')[0];
    const cpu = () => {
      const agent = agentPid ? treeCpu(agentPid) : 0;
      const all = treeCpu(servicePid);
      return { service: cpuSeconds(servicePid), agentAndWorkers: agent, mariadbd: ON_SQLITE ? 0 : cpuSeconds(server.pid), other: all - agent - cpuSeconds(servicePid) };
    };
    const cpuTotals = { service: 0, agentAndWorkers: 0, mariadbd: 0, other: 0 };
    const rates: number[] = [];
    const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters;
    for (let round = 0; round < ROUNDS; round++) {
      const before = await counters(admin);
      const cpu0 = cpu();
      rates.push(await peer.throughput(TASKS));
      const cpu1 = cpu();
      const after = await counters(admin);
      for (const k of Object.keys(cpuTotals) as (keyof typeof cpuTotals)[]) cpuTotals[k] += cpu1[k] - cpu0[k];
      for (const c of COUNTERS) totals[c] += after[c] - before[c] - (c === 'Questions' ? 1 : 0);
    }
    rates.sort((a, b) => a - b);
    console.log(`\nflood: ${ROUNDS} rounds of ${TASKS} tasks, Python client on ${ON_SQLITE ? 'SQLite' : `MariaDB (flush_log_at_trx_commit=${FLUSH})`}, service from ${SERVICE_REPO}; ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}`);
    console.log(`  tasks/s per round: ${rates.map((r) => r.toFixed(0)).join(', ')} (median ${rates[Math.floor(rates.length / 2)].toFixed(0)}; depends on the load)`);
    console.log(`  per task: ${COUNTERS.map((c) => `${c} ${(totals[c] / (ROUNDS * TASKS)).toFixed(3)}`).join(', ')}`);
    console.log(`  CPU ms per task: ${Object.entries(cpuTotals).map(([k, v]) => `${k} ${((1000 * v) / (ROUNDS * TASKS)).toFixed(3)}`).join(', ')}`);
    if (GENERAL_LOG && !ON_SQLITE) {
      const statements = await logStatements(admin, async () => void (await peer!.throughput(TASKS)));
      printStatements(statements, TASKS, 'task');
    }
  } finally {
    await peer?.close().catch(() => undefined);
    await service?.group.stop();
    await admin.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
