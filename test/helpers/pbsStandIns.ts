/**
 * Stand-in `qsub`, `qstat` and `qdel` executables for driving the PBS provider without a PBS
 * server: put `bin` first on PATH. They keep their "server" in a folder (one JSON file per job),
 * record every call's argv (calls()), and answer in PBS Pro / OpenPBS's documented shapes:
 *
 *  - `qsub SCRIPT` prints the new job's id ("1.pbs01") and runs the script at once with
 *    /bin/sh, its output (stdout and stderr, `-j oe`) into the `#PBS -o` file; a missing or
 *    unreadable script is refused ("qsub: script file:: No such file or directory", exit 2).
 *  - `qstat -f -F json [-x] ID...` prints {"timestamp", "pbs_version", "pbs_server", "Jobs":
 *    {ID: {Job_Name, Job_Owner, job_state, queue, comment, Exit_status (finished jobs)}}};
 *    an id it never issued: "qstat: Unknown Job Id ID" on stderr, exit 153 (PBSE_UNKJOBID
 *    15001 as an exit status); a finished job without -x: "qstat: ID Job has finished, use -x
 *    or -H to obtain historical job information", exit 35 (PBSE_HISTJOBID 15139). Other
 *    arguments than -f, -F json and -x are refused (exit 2), so a changed call line is seen.
 *  - `qdel ID...` ends the job (SIGTERM to its process group); it is then finished with
 *    Exit_status 271 (256 + SIGTERM), as PBS reports a job qdel killed. Unknown: exit 153.
 *
 * A job's process exits on its own: job_state F, Exit_status its exit code. Not modelled: queues
 * and scheduling (every job starts at once: Q is never seen), resources (select, place and
 * walltime are recorded in the script, not enforced), pbsdsh, job arrays, -V's environment.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PbsStandIns {
  /** Put first on PATH. */
  bin: string;
  /** Every call so far, in order: the command's name and its arguments. */
  calls(): { command: string; args: string[] }[];
  /** Ends every job still running (teardown) and removes the folder. */
  cleanup(): void;
}

const SERVER = 'pbs01';

/** The three programs share this prelude: where the jobs are, and how a job's state is read. */
const PRELUDE = (dir: string) => `
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const DIR = ${JSON.stringify(dir)};
const SERVER = ${JSON.stringify(SERVER)};
const jobsDir = path.join(DIR, 'jobs');
fs.appendFileSync(path.join(DIR, 'calls.jsonl'), JSON.stringify({ command: path.basename(process.argv[1]), args: process.argv.slice(2) }) + '\\n');
const jobFile = (id) => path.join(jobsDir, id.replace(/[^0-9A-Za-z.]/g, '_') + '.json');
const readJob = (id) => { try { return JSON.parse(fs.readFileSync(jobFile(id), 'utf8')); } catch { return undefined; } };
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
/** F once its process is gone: Exit_status from the exit file its shell wrote, 271 when qdel ended it. */
function stateOf(job) {
  if (job.deleted) return { job_state: 'F', Exit_status: 271 };
  let exit;
  try { exit = fs.readFileSync(job.exitFile, 'utf8').trim(); } catch {}
  if (exit !== undefined && exit !== '') return { job_state: 'F', Exit_status: Number(exit) };
  return alive(job.pid) ? { job_state: 'R' } : { job_state: 'F', Exit_status: -3 };
}
const fail = (message, code) => { process.stderr.write(message + '\\n'); process.exit(code); };
`;

const QSUB = `
const args = process.argv.slice(2);
if (args.length !== 1) fail('usage: qsub script (stand-in takes exactly one script file)', 2);
let script;
try { script = fs.readFileSync(args[0], 'utf8'); } catch { fail('qsub: script file:: No such file or directory', 2); }
const directive = (flag) => (script.match(new RegExp('^#PBS ' + flag + ' (.*)$', 'm')) || [])[1];
fs.mkdirSync(jobsDir, { recursive: true });
const id = (fs.readdirSync(jobsDir).length + 1) + '.' + SERVER;
const out = directive('-o') || path.join(DIR, id + '.out');
const exitFile = path.join(DIR, id + '.exit');
const child = spawn('/bin/sh', ['-c', '/bin/sh "$0" >"$1" 2>&1; echo $? >"$2"', args[0], out, exitFile], { detached: true, stdio: 'ignore', env: { ...process.env, PBS_JOBID: id } });
child.unref();
fs.writeFileSync(jobFile(id), JSON.stringify({ id, name: directive('-N') || path.basename(args[0]), queue: directive('-q') || 'workq', script: args[0], out, exitFile, pid: child.pid, deleted: false }));
process.stdout.write(id + '\\n');
`;

const QSTAT = `
const args = process.argv.slice(2);
const ids = [];
let full = false; let json = false; let history = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-f') full = true;
  else if (args[i] === '-x') history = true;
  else if (args[i] === '-F' && args[i + 1] === 'json') { json = true; i++; }
  else if (args[i].startsWith('-')) fail('qstat: stand-in does not take ' + args[i], 2);
  else ids.push(args[i]);
}
if (!full || !json) fail('qstat: stand-in answers only -f -F json', 2);
const Jobs = {};
let code = 0;
for (const id of ids) {
  const job = readJob(id);
  if (!job) { process.stderr.write('qstat: Unknown Job Id ' + id + '\\n'); code = 153; continue; }
  const state = stateOf(job);
  if (state.job_state === 'F' && !history) { process.stderr.write('qstat: ' + id + ' Job has finished, use -x or -H to obtain historical job information\\n'); code = code || 35; continue; }
  Jobs[id] = { Job_Name: job.name, Job_Owner: 'funcx@login1', job_state: state.job_state, queue: job.queue, ...(state.job_state === 'R' ? { exec_host: 'node01/0' } : {}), ...(state.Exit_status !== undefined ? { Exit_status: state.Exit_status } : {}), comment: state.job_state === 'R' ? 'Job run at Mon Dec 07 at 10:00 on (node01:ncpus=1)' : 'Job run at Mon Dec 07 at 10:00 on (node01:ncpus=1) and finished' };
}
const doc = { timestamp: Math.floor(Date.now() / 1000), pbs_version: '22.05.11', pbs_server: SERVER };
if (Object.keys(Jobs).length > 0) doc.Jobs = Jobs;
process.stdout.write(JSON.stringify(doc, null, 4) + '\\n');
process.exit(code);
`;

const QDEL = `
let code = 0;
for (const id of process.argv.slice(2)) {
  const job = readJob(id);
  if (!job) { process.stderr.write('qdel: Unknown Job Id ' + id + '\\n'); code = 153; continue; }
  if (stateOf(job).job_state === 'F') { process.stderr.write('qdel: Job has finished ' + id + '\\n'); code = 35; continue; }
  try { process.kill(-job.pid, 'SIGTERM'); } catch {}
  fs.writeFileSync(jobFile(id), JSON.stringify({ ...job, deleted: true }));
}
process.exit(code);
`;

export function pbsStandIns(): PbsStandIns {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-pbs-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(path.join(dir, 'jobs'));
  writeFileSync(path.join(dir, 'calls.jsonl'), '');
  for (const [name, body] of [['qsub', QSUB], ['qstat', QSTAT], ['qdel', QDEL]]) {
    writeFileSync(path.join(bin, name), `#!${process.execPath}\n'use strict';\n${PRELUDE(dir)}${body}`);
    chmodSync(path.join(bin, name), 0o755);
  }
  return {
    bin,
    calls: () => readFileSync(path.join(dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { command: string; args: string[] }),
    cleanup() {
      for (const file of readdirSync(path.join(dir, 'jobs'))) {
        const job = JSON.parse(readFileSync(path.join(dir, 'jobs', file), 'utf8')) as { pid: number };
        try {
          process.kill(-job.pid, 'SIGKILL');
        } catch { /* already gone */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
