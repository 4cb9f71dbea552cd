/**
 * The host names of the nodes this process's batch job was given, from the
 * scheduler's own record of it: Slurm's SLURM_JOB_NODELIST (expanded by
 * `scontrol show hostnames`), PBS's PBS_NODEFILE, Grid Engine's PE_HOSTFILE.
 * Outside a job (the local provider) the one node is this machine, as
 * `localhost`, which every MPI launcher runs on without a remote shell.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function jobNodes(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.SLURM_JOB_NODELIST) {
    const out = execFileSync('scontrol', ['show', 'hostnames', env.SLURM_JOB_NODELIST], { encoding: 'utf8', env, timeout: 30_000 });
    return unique(out.split('\n'));
  }
  // One line per slot (a node repeats): the nodes are the distinct lines, in order.
  if (env.PBS_NODEFILE) return unique(readFileSync(env.PBS_NODEFILE, 'utf8').split('\n'));
  // "host slots queue processors" per line.
  if (env.PE_HOSTFILE) return unique(readFileSync(env.PE_HOSTFILE, 'utf8').split('\n').map((line) => line.trim().split(/\s+/)[0]));
  return ['localhost'];
}

function unique(lines: string[]): string[] {
  return [...new Set(lines.map((line) => line.trim()).filter(Boolean))];
}
