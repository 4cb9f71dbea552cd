/**
 * A throwaway one-node Slurm cluster for tests: munged, slurmctld and slurmd
 * started as children with every file (munge key and socket, slurm.conf,
 * state, spool, logs) in a temporary directory and free ports, so it touches
 * nothing of the machine's own setup. Client commands find it through
 * SLURM_CONF (in `env`). Stopping cancels every job, waits for the queue to
 * empty, stops the daemons by pid and removes the directory.
 *
 * Needs root (slurmd runs jobs as their user) and the slurm-wlm and munge
 * packages; `slurmMissing()` says why not, so suites can skip loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort } from './mariadb.js';

export interface SlurmCluster {
  dir: string;
  /** The environment for sbatch/squeue/scancel (and for an endpoint using this cluster). */
  env: Record<string, string>;
  /** Runs a Slurm client command against this cluster; throws on a non-zero exit. */
  run(command: string, args: string[]): string;
  /** Cancels every job and waits until none is left. */
  cancelAll(): Promise<void>;
  /** Job ids in the queue (any state squeue still lists), with their state. */
  jobs(): { id: string; name: string; state: string; timeLimit: string }[];
  stop(): Promise<void>;
}

const DAEMONS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'sinfo'];

/**
 * Why a cluster cannot be started here, or undefined when it can. With
 * FUNCX_TEST_REQUIRE_SLURM=1 it always says it can (FUNCX_TEST_REQUIRE_ALL, set by .ci/run, fails through realPart.ts instead): the
 * suites then run and fail on startSlurmCluster's error instead of skipping.
 */
export function slurmMissing(): string | undefined {
  return process.env.FUNCX_TEST_REQUIRE_SLURM === '1' ? undefined : whySlurmCannotRun();
}

function whySlurmCannotRun(): string | undefined {
  const missing = DAEMONS.filter((name) => !findBinary(name));
  if (missing.length > 0) return `not installed: ${missing.join(', ')} (apt-get install -y slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'slurmd needs root to run jobs';
  return undefined;
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const problem = whySlurmCannotRun();
  if (problem) throw new Error(`cannot start Slurm: ${problem}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-slurm-'));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  const logs: Record<string, string> = {};
  const daemon = (name: string, args: string[]) => {
    const child = spawn(findBinary(name)!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    logs[name] = '';
    child.stdout!.on('data', (chunk) => (logs[name] += chunk));
    child.stderr!.on('data', (chunk) => (logs[name] += chunk));
    children.push(child);
    return child;
  };
  const conf = path.join(dir, 'slurm.conf');
  const env = { SLURM_CONF: conf };
  const run = (command: string, args: string[]) => {
    const result = spawnSync(findBinary(command)!, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error?.message}`);
    return result.stdout;
  };
  const jobs = () => run('squeue', ['--noheader', '--states=all', '--format=%i|%j|%T|%l']).split('\n').filter(Boolean).map((line) => {
    const [id, name, state, timeLimit] = line.trim().split('|');
    return { id, name, state, timeLimit };
  });
  const cancelAll = async () => {
    run('scancel', ['--user=root']);
    await until(() => jobs().every((j) => !['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED'].includes(j.state)), 'every job to end', 60_000);
  };
  const stopDaemons = async () => {
    // slurmd before slurmctld, munged last (both use it to the end).
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // munge: a fresh key and a private socket.
    const key = path.join(dir, 'munge.key');
    const made = spawnSync(findBinary('mungekey')!, ['--create', `--keyfile=${key}`], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mungekey: ${made.stderr}`);
    const socket = path.join(dir, 'munge.sock');
    daemon('munged', ['--foreground', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${dir}/munged.pid`,
      `--seed-file=${dir}/munged.seed`, `--log-file=${dir}/munged.log`]);
    await until(() => existsSync(socket), 'munged to listen', 20_000, () => logs.munged);

    const host = os.hostname().split('.')[0];
    const [ctldPort, dPort] = await distinctFreePorts(2);
    mkdirSync(path.join(dir, 'state'));
    mkdirSync(path.join(dir, 'spool'));
    writeFileSync(conf, [
      'ClusterName=funcxtest',
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'MpiDefault=none',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      'SlurmUser=root',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      // Walltime ends jobs promptly: no grace past the limit, a short wait between SIGTERM and SIGKILL.
      'OverTimeLimit=0',
      'KillWait=5',
      'MinJobAge=600',
      `NodeName=${host} CPUs=${os.availableParallelism()} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'));
    daemon('slurmctld', ['-D', '-c', '-f', conf]);
    daemon('slurmd', ['-D', '-f', conf]);
    await until(() => {
      const out = spawnSync(findBinary('sinfo')!, ['--noheader', '--format=%t'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      return out.status === 0 && out.stdout.trim() === 'idle';
    }, 'the node to be idle', 60_000, () => `${logs.slurmctld}\n${logs.slurmd}\n${tail(`${dir}/slurmctld.log`)}`);
  } catch (error) {
    await stopDaemons();
    throw error;
  }

  return {
    dir,
    env,
    run,
    cancelAll,
    jobs,
    async stop() {
      try {
        await cancelAll();
      } finally {
        await stopDaemons();
      }
    },
  };
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '';
}

async function until(condition: () => boolean, what: string, timeoutMs: number, diagnostics?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diagnostics ? `\n${diagnostics()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
