/** The provider section of config.yaml: defaults, bad combinations named by key, and the Slurm job script. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { EndpointConfigError, configTemplate, loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { SlurmProvider, sbatchQuote, slurmTime } from '../../endpoint/providers/slurm.js';

function load(t: ExecutionContext, provider: unknown) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-provider-config-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const paths = endpointPaths('ep', home);
  mkdirSync(paths.dir, { recursive: true });
  const config = { ...YAML.parse(configTemplate({ name: 'ep', serviceUrl: 'http://127.0.0.1:1' })), provider };
  writeFileSync(paths.config, YAML.stringify(config));
  return () => loadEndpointConfig(paths);
}

function problems(t: ExecutionContext, provider: unknown): string[] {
  const error = t.throws(load(t, provider), { instanceOf: EndpointConfigError }) as EndpointConfigError;
  return error.problems;
}

test('the template\'s provider is local without blocks (workers in the agent)', (t) => {
  t.deepEqual(load(t, { type: 'local' })().provider, { type: 'local', blocks: null });
});

test('slurm gets documented defaults', (t) => {
  const provider = load(t, { type: 'slurm', max_blocks: 4, partition: 'debug' })().provider;
  t.is(provider.type, 'slurm');
  if (provider.type !== 'slurm') return;
  t.like(provider.blocks, { initBlocks: 0, minBlocks: 0, maxBlocks: 4, nodesPerBlock: 1, maxIdleMs: 120_000, listenAddress: '0.0.0.0', listenPort: 0, connectAddress: os.hostname() });
  t.like(provider.slurm, { partition: 'debug', account: null, qos: null, walltimeMs: 3_600_000, schedulerOptions: [], launcher: 'srun' });
});

test('local blocks listen on 127.0.0.1 by default (their managers run on this machine); an explicit listen_address is kept', (t) => {
  const provider = load(t, { type: 'local', max_blocks: 2 })().provider;
  t.like(provider.blocks, { listenAddress: '127.0.0.1', connectAddress: '127.0.0.1' });
  t.like(load(t, { type: 'local', max_blocks: 2, listen_address: '0.0.0.0' })().provider.blocks, { listenAddress: '0.0.0.0', connectAddress: os.hostname() });
});

test('bad combinations are named by key', (t) => {
  t.deepEqual(problems(t, { type: 'slurm', min_blocks: 3, max_blocks: 2 }), ['provider.min_blocks: 3 is more than max_blocks (2)']);
  t.deepEqual(problems(t, { type: 'slurm', init_blocks: 3, max_blocks: 2 }), ['provider.init_blocks: 3 is more than max_blocks (2)']);
  t.deepEqual(problems(t, { type: 'local', partition: 'debug' }), ['provider.partition: only for provider type slurm']);
  t.deepEqual(problems(t, { type: 'local', min_blocks: 1 }), ['provider.min_blocks: needs max_blocks >= 1 (without it the local provider runs workers in the agent itself)']);
  t.deepEqual(problems(t, { type: 'slurm', walltime: 'soon' }), ['provider.walltime: "soon" is not a duration (e.g. 30s, 5m, 2h)']);
  t.deepEqual(problems(t, { type: 'slurm', scheduler_options: ['--mem=4G'] }), ['provider.scheduler_options.0: must match pattern "^(#SBATCH|#PBS|#\\$) "']);
  t.deepEqual(problems(t, { type: 'kubernetes' }), ['provider.type: must be equal to one of the allowed values']);
  t.deepEqual(problems(t, { type: 'slurm', nodes: 2 }), ['provider.nodes: unknown key']);
});

test('the Slurm job script: directives, worker_init, and srun for multi-node blocks', (t) => {
  const slurm = { partition: 'gpu', account: 'proj1', qos: 'high', walltimeMs: 90 * 60_000 + 1, schedulerOptions: ['#SBATCH --mem=4G'], launcher: 'srun' as const };
  const block = { blockId: 'b7', command: ['/usr/bin/node', '/opt/funcx/workerManager.js', '/home/u/.funcx/ep/blocks/b7.json'], workerInit: ['module load python/3.11'], scriptDir: '/home/u/.funcx/ep/blocks' };
  const one = new SlurmProvider(slurm, { nodesPerBlock: 1 }, 'funcx-ep').script(block);
  t.is(one, [
    '#!/bin/sh',
    '#SBATCH --job-name=funcx-ep-b7',
    '#SBATCH --nodes=1',
    '#SBATCH --ntasks-per-node=1',
    '#SBATCH --time=01:30:01',
    '#SBATCH --output="/home/u/.funcx/ep/blocks/b7-%j.out"',
    '#SBATCH --partition=gpu',
    '#SBATCH --account=proj1',
    '#SBATCH --qos=high',
    '#SBATCH --mem=4G',
    '# Written by funcx-endpoint: one block, running a worker manager per node.',
    'set -e',
    'module load python/3.11',
    'exec /usr/bin/node /opt/funcx/workerManager.js /home/u/.funcx/ep/blocks/b7.json',
    '',
  ].join('\n'));
  const four = new SlurmProvider(slurm, { nodesPerBlock: 4 }, 'funcx-ep').script(block);
  t.regex(four, /#SBATCH --nodes=4\n/);
  t.regex(four, /\nexec srun --nodes=4 --ntasks-per-node=1 --kill-on-bad-exit=0 \/usr\/bin\/node /);
  t.is(slurmTime(36 * 3_600_000), '1-12:00:00');
});

test('the job script quotes the output path for sbatch: a FUNCX_HOME with spaces, quotes or # stays one argument', (t) => {
  const slurm = { partition: null, account: null, qos: null, walltimeMs: 60_000, schedulerOptions: [], launcher: 'none' as const };
  const scriptDir = '/home/u/My "funcx" #1/ep/blocks';
  const script = new SlurmProvider(slurm, { nodesPerBlock: 1 }, 'funcx-ep').script({ blockId: 'b1', command: ['node', 'm.js'], workerInit: [], scriptDir });
  t.regex(script, /\n#SBATCH --output="\/home\/u\/My \\"funcx\\" #1\/ep\/blocks\/b1-%j\.out"\n/);
  t.throws(() => sbatchQuote('two\nlines'), { message: /cannot span lines/ });
});

test('partition, account and qos with whitespace, and scheduler_options that are not #SBATCH lines, are refused by key', (t) => {
  t.deepEqual(problems(t, { type: 'slurm', partition: 'debug --mem=1T' }), ['provider.partition: "debug --mem=1T" must not contain whitespace or line breaks']);
  t.deepEqual(problems(t, { type: 'slurm', account: 'proj\n#SBATCH --exclusive' }), ['provider.account: "proj\\n#SBATCH --exclusive" must not contain whitespace or line breaks']);
  t.deepEqual(problems(t, { type: 'slurm', qos: 'high\tlow' }), ['provider.qos: "high\\tlow" must not contain whitespace or line breaks']);
  t.deepEqual(problems(t, { type: 'slurm', scheduler_options: ['#SBATCH --mem=4G\nrm -rf ~'] }), ['provider: "#SBATCH --mem=4G\\nrm -rf ~" must be one line']);
  t.deepEqual(problems(t, { type: 'slurm', scheduler_options: ['echo hi'] }), ['provider.scheduler_options.0: must match pattern "^(#SBATCH|#PBS|#\\$) "']);
});
