/**
 * The PBS Pro / OpenPBS provider as far as it can be checked without a live
 * PBS server (none is run here): its settings, its job script, and the
 * parsing of `qstat -f -F json` output in the documented shape (PBS Pro
 * Reference Guide, qstat: "-F json").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { EndpointConfigError, configTemplate, loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { PbsProvider, parseQstatJson, pbsTime } from '../../endpoint/providers/pbs.js';
import { createProvider } from '../../endpoint/providers/index.js';

function load(t: ExecutionContext, provider: unknown) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-pbs-config-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const paths = endpointPaths('ep', home);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'ep', serviceUrl: 'http://127.0.0.1:1' })), provider }));
  return () => loadEndpointConfig(paths);
}

test('pbs settings: defaults, and keys of other schedulers refused by name', (t) => {
  const provider = load(t, { type: 'pbs', queue: 'debug', account: 'proj1', walltime: '30m', select_options: 'ncpus=64', max_blocks: 2 })().provider;
  t.is(provider.type, 'pbs');
  if (provider.type === 'pbs') t.deepEqual(provider.pbs, { queue: 'debug', account: 'proj1', walltimeMs: 1_800_000, selectOptions: 'ncpus=64', schedulerOptions: [], launcher: 'pbsdsh' });
  const error = t.throws(load(t, { type: 'pbs', partition: 'x', scheduler_options: ['#SBATCH --mem=1G'], launcher: 'srun', queue: 'a b' }), { instanceOf: EndpointConfigError }) as EndpointConfigError;
  t.deepEqual(error.problems, [
    'provider.partition: only for provider type slurm',
    'provider.scheduler_options.0: "#SBATCH --mem=1G" must be an "#PBS ..." line',
    'provider.queue: "a b" must not contain whitespace or line breaks',
    'provider.launcher: srun is for slurm; pbs takes pbsdsh or none',
  ]);
});

test('pbs job script: name, select of one chunk per node, walltime, queue, account, output, pbsdsh for several nodes', (t) => {
  const provider = new PbsProvider(
    { queue: 'workq', account: 'proj1', walltimeMs: 90 * 60_000 + 1, selectOptions: 'ncpus=64:mem=200gb', schedulerOptions: ['#PBS -l filesystems=home'], launcher: 'pbsdsh' },
    { nodesPerBlock: 2 },
    'funcx-ep',
  );
  const script = provider.script({ blockId: 'b3-abc123', command: ['/usr/bin/node', '/opt/funcx/workerManager.js', '/home/u/b3.json'], workerInit: ['module load python'], scriptDir: '/home/u/blocks' });
  t.is(script, [
    '#!/bin/sh',
    '#PBS -N funcx-ep-b3-abc123',
    '#PBS -l select=2:ncpus=64:mem=200gb',
    '#PBS -l place=scatter:excl',
    '#PBS -l walltime=01:30:01',
    '#PBS -o /home/u/blocks/b3-abc123.out',
    '#PBS -j oe',
    '#PBS -V',
    '#PBS -q workq',
    '#PBS -A proj1',
    '#PBS -l filesystems=home',
    '# Written by funcx-endpoint: one block, running a worker manager per node.',
    'set -e',
    'module load python',
    'exec pbsdsh -u -- /usr/bin/node /opt/funcx/workerManager.js /home/u/b3.json',
    '',
  ].join('\n'));
  // An MPI endpoint's blocks run one manager: the tasks' own launchers reach the other nodes.
  const mpi = createProvider({ type: 'pbs', blocks: { nodesPerBlock: 2 } as never, pbs: { queue: null, account: null, walltimeMs: 60_000, selectOptions: null, schedulerOptions: [], launcher: 'pbsdsh' } }, 'ep', { mpi: true }) as PbsProvider;
  t.regex(mpi.script({ blockId: 'b1', command: ['/n', 'm.js'], workerInit: [], scriptDir: '/d' }), /\nexec \/n m\.js\n/);
  t.is(pbsTime(100 * 3_600_000), '100:00:00');
});

test('qstat -f -F json: states of queued, held, running, exiting and finished jobs (exit 0, qdel, walltime, failure)', (t) => {
  // The documented shape: a "Jobs" object keyed by job id, each with job_state and, once finished, Exit_status.
  const output = JSON.stringify({
    timestamp: 1764500000,
    pbs_version: '2022.1.1',
    pbs_server: 'pbs01',
    Jobs: {
      '101.pbs01': { Job_Name: 'funcx-ep-b1', Job_Owner: 'u@login1', job_state: 'Q', queue: 'workq', comment: 'Not Running: Insufficient amount of resource: ncpus' },
      '102.pbs01': { Job_Name: 'funcx-ep-b2', job_state: 'H' },
      '103.pbs01': { Job_Name: 'funcx-ep-b3', job_state: 'R', exec_host: 'n01/0*64+n02/0*64' },
      '104.pbs01': { Job_Name: 'funcx-ep-b4', job_state: 'E' },
      '105.pbs01': { Job_Name: 'funcx-ep-b5', job_state: 'F', Exit_status: 0 },
      '106.pbs01': { Job_Name: 'funcx-ep-b6', job_state: 'F', Exit_status: 271 },
      '107.pbs01': { Job_Name: 'funcx-ep-b7', job_state: 'F', Exit_status: -29 },
      '108.pbs01': { Job_Name: 'funcx-ep-b8', job_state: 'F', Exit_status: 1 },
    },
  });
  t.deepEqual(Object.fromEntries(parseQstatJson(output)), {
    '101.pbs01': { state: 'pending', detail: 'Q (Not Running: Insufficient amount of resource: ncpus)' },
    '102.pbs01': { state: 'pending', detail: 'H' },
    '103.pbs01': { state: 'running', detail: 'R' },
    '104.pbs01': { state: 'running', detail: 'E' },
    '105.pbs01': { state: 'completed', detail: 'F (Exit_status 0)' },
    '106.pbs01': { state: 'cancelled', detail: 'F (Exit_status 271)' },
    '107.pbs01': { state: 'timeout', detail: 'F (Exit_status -29)' },
    '108.pbs01': { state: 'failed', detail: 'F (Exit_status 1)' },
  });
  t.deepEqual(parseQstatJson('{"timestamp": 1, "pbs_version": "2022.1.1", "pbs_server": "pbs01"}').size, 0, 'no jobs: no "Jobs" key');
});
