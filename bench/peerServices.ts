/**
 * What the peers bench measures against: funcX-TS as `npm start` runs it (on its embedded
 * SQLite, or the same with FUNCX_DATABASE_URL naming a private MariaDB), and Celery + Redis
 * (a private redis-server and a prefork worker of concurrency 2). Each as child process
 * groups, so a stop reaches the endpoint's and Celery's workers too. Also: the durability
 * settings each database runs with, read from it, and the resident memory of a service.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/db/connect.js';
import { freePort } from '../test/helpers/mariadb.js';
import { benchServiceNodeFlags } from './serviceNodeFlags.js';
import { childrenMatching, processTreeStats, runToEnd, spawnGroup, succeeds, type Group } from './processes.js';

export interface FuncxService {
  group: Group;
  home: string;
  serviceUrl: string;
  token: string;
  endpointId: string;
  databaseUrl: string;
  /** Requests the service answered with 429 TooManyRequests so far (from its request log). */
  rateLimited(): number;
}

/** The caller's environment without FUNCX_* settings: the service and the SDKs run on their defaults. */
export function defaultEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FUNCX_')));
}

/**
 * `funcx-service serve --local-endpoint default` (what `npm start` runs, with its node flags) on its own FUNCX_HOME and
 * a free port, nothing else set; `databaseUrl` (a mysql:// URL) is the only other setting, when given.
 */
export async function startFuncxService(options: { repo: string; home: string; databaseUrl?: string; nodeArgs?: string[] }): Promise<FuncxService> {
  const port = await freePort();
  const cli = path.join(options.repo, 'dist', 'src', 'cli', 'funcx-service.js');
  const group = spawnGroup(process.execPath, [...benchServiceNodeFlags(), ...(options.nodeArgs ?? []), cli, 'serve', '--local-endpoint', 'default'], {
    cwd: options.repo,
    env: { ...defaultEnv(), FUNCX_HOME: options.home, FUNCX_PORT: String(port), ...(options.databaseUrl ? { FUNCX_DATABASE_URL: options.databaseUrl } : {}) },
  });
  // The request log (JSON lines on a pipe, at the default level info) says each answer's status.
  let rateLimited = 0;
  let partial = '';
  group.onOutput((chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.includes('"status":429')) rateLimited += 1;
  });
  try {
    await group.lineMatching(/local endpoint "default" is ([0-9a-f-]{36})/, 180_000);
  } catch (error) {
    await group.stop();
    throw error;
  }
  const quickstart = JSON.parse(readFileSync(path.join(options.home, 'quickstart.json'), 'utf8')) as { service_url: string; token: string; endpoint_id: string };
  return {
    group, home: options.home, serviceUrl: quickstart.service_url, token: quickstart.token, endpointId: quickstart.endpoint_id,
    // The service's default when none is given (src/config.ts).
    databaseUrl: options.databaseUrl ?? `sqlite://${path.join(options.home, 'funcx.sqlite3')}`,
    rateLimited: () => rateLimited,
  };
}

/**
 * The embedded SQLite's durability. journal_mode is kept in the database file, so it is read from
 * the service's file. synchronous is a setting of each connection that SQLite keeps nowhere another
 * process can read: it is read from a connection opened by the service's own code (src/db/connect.ts,
 * which sets it when it opens a connection), on the service's file.
 */
export async function sqliteDurability(databaseUrl: string): Promise<string> {
  const db = openDatabase(databaseUrl);
  try {
    const journal = (await db.raw('PRAGMA journal_mode')) as { journal_mode: string }[];
    const synchronous = (await db.raw('PRAGMA synchronous')) as { synchronous: number }[];
    const level = synchronous[0].synchronous;
    const name = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][level] ?? String(level);
    const meaning = journal[0].journal_mode === 'wal' && name === 'NORMAL'
      ? 'a commit survives a kill -9 of the service; the WAL is fsynced at checkpoints, not at each commit'
      : name === 'FULL' || name === 'EXTRA' ? 'an fsync at every commit' : 'see SQLite\'s documentation';
    return `journal_mode=${journal[0].journal_mode} (read from the file), synchronous=${name} (${level}; as the service's connection code sets it): ${meaning}`;
  } finally {
    await db.destroy();
  }
}

/** The MariaDB server's durability, read from the running server (the bench changes no global setting). */
export async function mariadbDurability(serverUrl: string): Promise<string> {
  const db = openDatabase(serverUrl, { poolMax: 1 });
  try {
    const [rows] = (await db.raw('SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS flush, @@GLOBAL.log_bin AS log_bin, @@GLOBAL.sync_binlog AS sync_binlog, VERSION() AS version')) as [
      { flush: number; log_bin: number; sync_binlog: number; version: string }[],
    ];
    const { flush, log_bin: logBin, sync_binlog: syncBinlog, version } = rows[0];
    const meaning = Number(flush) === 1 ? 'the redo log is fsynced at every commit'
      : Number(flush) === 2 ? 'a commit survives a kill -9 of mariadbd; the redo log is fsynced about once a second'
        : 'a commit may be lost with mariadbd itself';
    return `MariaDB ${version}: innodb_flush_log_at_trx_commit=${flush} (read from the server): ${meaning}; binary log ${Number(logBin) ? `on, sync_binlog=${syncBinlog}` : 'off'}`;
  } finally {
    await db.destroy();
  }
}

/** A service's resident memory after the runs, and its endpoint's (agent and workers), PSS and RSS. */
export function serviceMemory(service: FuncxService): string {
  const all = processTreeStats(service.group.child.pid!);
  const endpoint = childrenMatching(service.group.child.pid!, 'funcx-endpoint').map((pid) => processTreeStats(pid));
  const sum = (key: 'rssKiB' | 'pssKiB') => endpoint.reduce((total, stats) => total + stats[key], 0);
  const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
  return `service and endpoint ${mib(all.rssKiB)} RSS; the endpoint (agent and its workers) ${mib(sum('pssKiB'))} PSS, ${mib(sum('rssKiB'))} RSS`;
}

export interface Celery {
  /** The broker and result backend, for the drivers' CELERY_BROKER_URL. */
  brokerUrl: string;
  groups: Group[];
}

const CELERY_PACKAGES = ['python3-celery', 'python3-redis', 'redis-server'];

/**
 * A private redis-server on a free port (no persistence) and a Celery worker, prefork 2; undefined
 * (with how to install them) when Celery or Redis is missing and cannot be installed here.
 */
export async function startCelery(options: { python: string; driverDir: string; dir: string }): Promise<Celery | undefined> {
  const present = () => succeeds(options.python, ['-c', 'import celery, redis']) && succeeds('redis-server', ['--version']);
  if (!present()) {
    if (process.getuid?.() === 0) {
      console.error(`peers: installing ${CELERY_PACKAGES.join(' ')} (apt-get)`);
      await runToEnd('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...CELERY_PACKAGES], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 20 * 60_000,
      });
    }
    if (!present()) {
      console.error(`peers: SKIPPED Celery: it needs ${options.python} with celery and redis, and redis-server. Install them with\n` +
        `  sudo apt-get install -y --no-install-recommends ${CELERY_PACKAGES.join(' ')}`);
      return undefined;
    }
  }
  const groups: Group[] = [];
  try {
    const port = await freePort();
    const redisDir = mkdtempSync(path.join(options.dir, 'redis-'));
    const redis = spawnGroup('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { cwd: redisDir });
    groups.push(redis);
    await redis.lineMatching(/Ready to accept connections/, 60_000);
    const brokerUrl = `redis://127.0.0.1:${port}/0`;
    // Its readiness is the driver's warm-up, which waits for the worker's first results.
    groups.push(spawnGroup(options.python, ['-m', 'celery', '-A', 'celery_peer', 'worker', '--pool', 'prefork', '--concurrency', '2', '--loglevel', 'WARNING',
      '--without-gossip', '--without-mingle', '--without-heartbeat'], {
      cwd: redisDir, env: { ...process.env, CELERY_BROKER_URL: brokerUrl, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: options.driverDir },
    }));
    return { brokerUrl, groups };
  } catch (error) {
    for (const group of groups.reverse()) await group.stop();
    throw error;
  }
}
