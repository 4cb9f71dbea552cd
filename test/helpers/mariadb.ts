/**
 * A throwaway MariaDB server for tests and benchmarks: its own data folder in a
 * temporary directory, a free port on 127.0.0.1, no Docker, no system service.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface MariaDbServer {
  /** mysql://root@127.0.0.1:PORT/ (append a database name) */
  url: string;
  /** mariadbd's process id (the benches count its CPU). */
  pid: number;
  /** The last 16,000 characters mariadbd wrote to stderr (its error log): for a failure's message. */
  log(): string;
  /** Whether mariadbd is still running (it aborts on some full-tablespace paths). */
  running(): boolean;
  stop(): Promise<void>;
}

const SEARCH_PATH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];

export function findBinary(name: string): string | undefined {
  for (const dir of SEARCH_PATH) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `serverArgs`: extra mariadbd options for a dedicated server (also given to mariadb-install-db, for
 * settings fixed at creation such as innodb_data_file_path). innodb_flush_log_at_trx_commit is 2
 * unless asked: a commit survives the server's kill -9 (like the service's SQLite, WAL with
 * synchronous = NORMAL); 1 fsyncs the redo log at every commit (MariaDB's own default), for benches
 * that compare at that durability.
 */
export async function startMariaDb(options: { serverArgs?: string[]; flushLogAtTrxCommit?: number } = {}): Promise<MariaDbServer> {
  const serverArgs = options.serverArgs ?? [];
  const mariadbd = findBinary('mariadbd') ?? findBinary('mysqld');
  const installDb = findBinary('mariadb-install-db') ?? findBinary('mysql_install_db');
  if (!mariadbd || !installDb) throw new Error('mariadbd is not installed (apt-get install -y mariadb-server)');
  const asRoot = process.getuid?.() === 0;
  const dir = installDataFolder(installDb, asRoot, serverArgs);
  const port = await freePort();
  const child: ChildProcess = spawn(mariadbd, [
    '--no-defaults', `--datadir=${dir}/data`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--socket=${dir}/sock`, `--pid-file=${dir}/pid`, '--innodb-buffer-pool-size=128M',
    '--max-connections=500', '--max-allowed-packet=64M', `--innodb-flush-log-at-trx-commit=${options.flushLogAtTrxCommit ?? 2}`,
    '--character-set-server=utf8mb4', '--collation-server=utf8mb4_bin', '--skip-log-bin', `--tmpdir=${dir}/tmp`,
    ...(asRoot ? ['--user=root'] : []), ...serverArgs,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk) => (log = (log + chunk).slice(-16_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when it accepts a TCP connection and answers; bounded wait.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`mariadbd exited during start-up:\n${log}`);
    }
    if (await answers(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mariadbd did not answer within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `mysql://root@127.0.0.1:${port}/`, pid: child.pid!, log: () => log, running: () => child.exitCode === null && child.signalCode === null, stop };
}

/**
 * A fresh data folder made by mariadb-install-db, with its own tmpdir: the server's temporary files
 * (the bootstrap's internal temporary tables among them) stay out of the shared /tmp, which other
 * tests and the machine also write to. A clean-clone CI run once saw the bootstrap abort because a
 * temporary table's file in /tmp was gone ("Could not remove temporary table ... error: 2", then
 * "Unknown table 'mysql.tmp_user_sys'"); a second attempt on a fresh folder is made before giving up,
 * and both failures are reported.
 */
function installDataFolder(installDb: string, asRoot: boolean, serverArgs: string[]): string {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-mariadb-'));
    mkdirSync(path.join(dir, 'tmp'));
    const init = spawnSync(installDb, [
      '--no-defaults', `--datadir=${dir}/data`, `--tmpdir=${dir}/tmp`, '--auth-root-authentication-method=normal', '--skip-test-db',
      ...(asRoot ? ['--user=root'] : []), ...serverArgs,
    ], { encoding: 'utf8' });
    if (init.status === 0) return dir;
    rmSync(dir, { recursive: true, force: true });
    failures.push(`attempt ${attempt}: ${init.stderr || init.stdout}`);
  }
  throw new Error(`mariadb-install-db failed:\n${failures.join('\n')}`);
}

/** MariaDB greets a new connection first; a greeting means it is serving. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', () => finish(true));
    socket.once('error', () => finish(false));
    socket.setTimeout(2000, () => finish(false));
  });
}
