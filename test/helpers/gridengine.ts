/**
 * A throwaway one-node Grid Engine cluster for tests, from Debian's
 * gridengine-master, -exec and -client packages: a cell in a temporary
 * SGE_ROOT on free ports, installed with the packaged inst_sge in automatic
 * mode, so nothing of the machine's own setup is touched. Client commands
 * find it through `env` (SGE_ROOT, SGE_CELL, SGE_QMASTER_PORT, SGE_EXECD_PORT).
 *
 * What it takes on a machine whose host name resolves to 127.0.0.1 (test
 * VMs and containers), each step found by running it here:
 * - inst_sge refuses such a host ("Unsupported local hostname"): it runs from
 *   a copy of the installer modules with that one check disabled;
 * - qmaster then refuses every client ("client IP resolved to host name
 *   localhost. This is not identical to clients host name vm"): the cell's
 *   host_aliases names localhost an alias of the host, and qmaster restarts;
 * - Debian installs the binaries under /usr/lib/gridengine, not where inst_sge
 *   looks (bin/ARCH, utilbin/ARCH): the temporary root links them there, with
 *   stubs for the GUI and qmake, which the cell does not need;
 * - root may not submit (min_uid 100) and a loaded machine puts the queue in
 *   alarm (load_thresholds): both are lifted, and the scheduler runs every second.
 * Stopping deletes every job, stops execd and qmaster by their pid files and
 * removes the directory. Needs root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './mariadb.js';

export interface GridEngineCluster {
  dir: string;
  env: Record<string, string>;
  /** Runs a Grid Engine client command against this cell; throws on a non-zero exit. */
  run(command: string, args: string[]): string;
  /** Job ids and states in qstat (any user). */
  jobs(): { id: string; name: string; state: string }[];
  deleteAll(): Promise<void>;
  stop(): Promise<void>;
}

const LIB = '/usr/lib/gridengine';
const SHARE = '/usr/share/gridengine';

export function gridEngineMissing(): string | undefined {
  const needed = [`${LIB}/sge_qmaster`, `${LIB}/sge_execd`, `${LIB}/qsub`, `${SHARE}/inst_sge`];
  const missing = needed.filter((file) => !existsSync(file));
  if (missing.length > 0) return `not installed: ${missing.join(', ')} (apt-get install -y gridengine-master gridengine-exec gridengine-client)`;
  if (process.getuid?.() !== 0) return 'Grid Engine\'s installer and execd need root';
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startGridEngine(): Promise<GridEngineCluster> {
  const problem = gridEngineMissing();
  if (problem) throw new Error(`cannot start Grid Engine: ${problem}`);
  const host = os.hostname();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-ge-'));
  chmodSync(dir, 0o755);
  const arch = 'lx-amd64';
  const bin = path.join(dir, 'bin', arch);
  mkdirSync(bin, { recursive: true });
  for (const file of readdirSync(LIB)) symlinkSync(path.join(LIB, file), path.join(bin, file));
  for (const stub of ['qmake', 'qmon', 'qtcsh', 'sge_shadowd', 'rlogin', 'rsh', 'rshd']) {
    if (!existsSync(path.join(bin, stub))) writeFileSync(path.join(bin, stub), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  }
  mkdirSync(path.join(dir, 'utilbin'));
  symlinkSync(bin, path.join(dir, 'utilbin', arch));
  cpSync(path.join(SHARE, 'util'), path.join(dir, 'util'), { recursive: true });
  symlinkSync(path.join(SHARE, 'inst_sge'), path.join(dir, 'inst_sge'));
  const common = path.join(dir, 'util', 'install_modules', 'inst_common.sh');
  const check = '   if [ $notok = true ]; then\n      $INFOTEXT -u "\\nUnsupported local hostname"';
  const source = readFileSync(common, 'utf8');
  if (!source.includes(check)) throw new Error('inst_common.sh has changed: the local host name check to lift was not found');
  writeFileSync(common, source.replace(check, check.replace('[ $notok = true ]', 'false')));

  const [qmasterPort, execdPort] = [await freePort(), await freePort()];
  const env = { SGE_ROOT: dir, SGE_CELL: 'default', SGE_QMASTER_PORT: String(qmasterPort), SGE_EXECD_PORT: String(execdPort) };
  const cell = path.join(dir, 'default');
  const spool = path.join(cell, 'spool');
  writeFileSync(path.join(dir, 'auto.conf'), [
    `SGE_ROOT="${dir}"`, `SGE_QMASTER_PORT=${qmasterPort}`, `SGE_EXECD_PORT=${execdPort}`, 'SGE_ENABLE_SMF="false"',
    `SGE_CLUSTER_NAME=funcx${qmasterPort}`, 'CELL_NAME="default"', 'ADMIN_USER=root',
    `QMASTER_SPOOL_DIR=${spool}/qmaster`, `EXECD_SPOOL_DIR=${spool}`, 'GID_RANGE="20000-20100"', 'SPOOLING_METHOD="classic"',
    'DB_SPOOLING_DIR="spooldb"', 'PAR_EXECD_INST_COUNT="20"', `ADMIN_HOST_LIST="${host}"`, `SUBMIT_HOST_LIST="${host}"`,
    `EXEC_HOST_LIST="${host}"`, 'EXECD_SPOOL_DIR_LOCAL=""', 'HOSTNAME_RESOLVING="true"', 'SHELL_NAME="ssh"', 'COPY_COMMAND="scp"',
    'DEFAULT_DOMAIN="none"', 'ADMIN_MAIL="none"', 'ADD_TO_RC="false"', 'SET_FILE_PERMS="false"', 'RESCHEDULE_JOBS="wait"',
    'SCHEDD_CONF="1"', 'SHADOW_HOST=""', 'EXEC_HOST_LIST_RM=""', 'REMOVE_RC="false"', 'WINDOWS_SUPPORT="false"', 'CSP_RECREATE="true"', 'CSP_COPY_CERTS="false"', '',
  ].join('\n'));

  const fullEnv = { ...process.env, ...env };
  const sh = (command: string, args: string[], options: { check?: boolean; editor?: string } = {}) => {
    const result = spawnSync(command, args, { cwd: dir, env: { ...fullEnv, ...(options.editor ? { EDITOR: options.editor } : {}) }, encoding: 'utf8', timeout: 300_000 });
    if (options.check !== false && result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stdout}${result.stderr || result.error?.message}`);
    return result.stdout;
  };
  const run = (command: string, args: string[]) => sh(path.join(bin, command), args);
  const pidOf = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined);
  const alive = (pid: number | undefined) => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const qmasterPid = () => pidOf(path.join(spool, 'qmaster', 'qmaster.pid'));
  // execd spools under the name it resolves itself to, which is `localhost` on such a machine.
  const execdPid = () => {
    const dirs = existsSync(spool) ? readdirSync(spool).filter((name) => name !== 'qmaster') : [];
    return dirs.map((name) => pidOf(path.join(spool, name, 'execd.pid'))).find((pid) => pid !== undefined);
  };
  const stopDaemon = async (pid: number | undefined) => {
    if (!alive(pid)) return;
    process.kill(pid!, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid!, 'SIGKILL');
  };
  const editor = (name: string, sed: string[]) => {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\nsed -i ${sed.map((e) => `-e '${e}'`).join(' ')} "$1"\n`, { mode: 0o755 });
    return file;
  };

  try {
    // 1. qmaster: installed and started by inst_sge, which then cannot reach it (see above).
    sh('./inst_sge', ['-m', '-auto', path.join(dir, 'auto.conf'), '-noremote'], { check: false });
    if (!existsSync(path.join(cell, 'common', 'bootstrap'))) throw new Error(`inst_sge -m did not create the cell; see ${dir}/default/common/install_logs`);
    await stopDaemon(qmasterPid());
    writeFileSync(path.join(cell, 'common', 'host_aliases'), `${host} localhost\n`);
    writeFileSync(path.join(cell, 'common', 'act_qmaster'), `${host}\n`);
    sh(path.join(bin, 'sge_qmaster'), []);
    for (let i = 0; i < 100 && spawnSync(path.join(bin, 'qconf'), ['-sh'], { env: fullEnv }).status !== 0; i++) await sleep(200);
    // 2. root may submit; the scheduler runs every second.
    sh(path.join(bin, 'qconf'), ['-mconf'], { editor: editor('conf.sh', ['s/^min_uid.*/min_uid 0/', 's/^min_gid.*/min_gid 0/']) });
    sh(path.join(bin, 'qconf'), ['-msconf'], { editor: editor('sconf.sh', ['s/^schedule_interval.*/schedule_interval 0:0:1/', 's/^flush_submit_sec.*/flush_submit_sec 1/', 's/^flush_finish_sec.*/flush_finish_sec 1/']) });
    // 3. execd, then the queue (the installer's own would have come with a hostgroup it did not make).
    sh('./inst_sge', ['-x', '-auto', path.join(dir, 'auto.conf'), '-noremote'], { check: false });
    // The daemon writes its pid file once it has detached.
    for (let i = 0; i < 100 && !alive(execdPid()); i++) await sleep(200);
    if (!alive(execdPid())) throw new Error(`sge_execd did not start; see ${dir}/default/common/install_logs`);
    writeFileSync(path.join(dir, 'hostgroup'), `group_name @allhosts\nhostlist ${host}\n`);
    run('qconf', ['-Ahgrp', path.join(dir, 'hostgroup')]);
    sh(path.join(bin, 'qconf'), ['-aq', 'all.q'], { editor: 'true' });
    for (const [attribute, value] of [['hostlist', '@allhosts'], ['slots', '4'], ['shell', '/bin/sh'], ['shell_start_mode', 'unix_behavior'], ['pe_list', 'make smp mpi']]) {
      run('qconf', ['-mattr', 'queue', attribute, value, 'all.q']);
    }
    run('qconf', ['-rattr', 'queue', 'load_thresholds', 'NONE', 'all.q']);
    // Ready when the queue instance takes jobs (no alarm, unknown or error state).
    for (let i = 0; ; i++) {
      const line = run('qstat', ['-f']).split('\n').find((l) => l.startsWith(`all.q@${host}`)) ?? '';
      if (line && !/\s[aAuEdDsSo]+\s*$/.test(line)) break;
      if (i > 300) throw new Error(`the queue never became available: ${line}`);
      await sleep(200);
    }
  } catch (error) {
    await stopDaemon(execdPid());
    await stopDaemon(qmasterPid());
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const jobs = () => {
    const out = spawnSync(path.join(bin, 'qstat'), ['-u', '*'], { env: fullEnv, encoding: 'utf8' }).stdout ?? '';
    return out.split('\n').slice(2).map((line) => line.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0] ?? '')).map((f) => ({ id: f[0], name: f[2], state: f[4] }));
  };
  const deleteAll = async () => {
    spawnSync(path.join(bin, 'qdel'), ['-f', '-u', '*'], { env: fullEnv });
    for (let i = 0; i < 300 && jobs().length > 0; i++) await sleep(200);
  };
  return {
    dir,
    env,
    run,
    jobs,
    deleteAll,
    async stop() {
      try {
        await deleteAll();
      } finally {
        await stopDaemon(execdPid());
        await stopDaemon(qmasterPid());
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
