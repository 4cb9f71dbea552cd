/**
 * The `provider` section of config.yaml, checked. The schema already checked
 * types and filled in each provider type's defaults (its if/then/else on
 * `type`); this adds the defaults that are computed (max_workers_per_node,
 * connect_address) and the rules between keys (min_blocks <= init_blocks <=
 * max_blocks, Slurm keys only for slurm) with messages that name the key.
 */
import os from 'node:os';
import { SECOND, parseDuration } from '@funcx-ts/shared/time.js';
import type { EndpointConfig } from '@funcx-ts/shared/wire/endpoint-config.js';
import type { PbsSettings } from './pbs.js';
import type { GridEngineSettings } from './gridengine.js';

type ProviderConfig = NonNullable<EndpointConfig['provider']>;
/** The keys the schema fills in wherever blocks are used (provider's if/then/else in schemas/endpoint-config.json). */
type BlockKey = 'init_blocks' | 'min_blocks' | 'max_blocks' | 'nodes_per_block' | 'max_idletime' | 'strategy_period' | 'worker_init' | 'listen_address' | 'listen_port' | 'manager_heartbeat_period' | 'manager_timeout' | 'manager_start_timeout';
type WithBlocks = ProviderConfig & Required<Pick<ProviderConfig, BlockKey>>;
/** ... and, for a scheduler's blocks, the keys that scheduler reads (SCHEDULER_KEYS). */
type SchedulerConfig<T extends keyof typeof SCHEDULER_KEYS> = WithBlocks & Required<Pick<ProviderConfig, (typeof SCHEDULER_KEYS)[T][number]>>;

/** How blocks are sized, scaled, and how their worker managers reach the agent. */
export interface BlockSettings {
  initBlocks: number;
  minBlocks: number;
  maxBlocks: number;
  nodesPerBlock: number;
  maxWorkersPerNode: number;
  maxIdleMs: number;
  strategyPeriodMs: number;
  workerInit: string[];
  listenAddress: string;
  listenPort: number;
  connectAddress: string;
  managerHeartbeatMs: number;
  managerTimeoutMs: number;
  /** A block running this long without its manager connecting is ended (and replaced if tasks wait). */
  managerStartTimeoutMs: number;
}

export interface SlurmSettings {
  partition: string | null;
  account: string | null;
  qos: string | null;
  walltimeMs: number;
  schedulerOptions: string[];
  launcher: 'srun' | 'none';
  /** Whole nodes (#SBATCH --exclusive): set for endpoints that run MPI tasks. */
  exclusive?: boolean;
}

export type ProviderSettings =
  | { type: 'local'; blocks: BlockSettings | null }
  | { type: 'slurm'; blocks: BlockSettings; slurm: SlurmSettings }
  | { type: 'pbs'; blocks: BlockSettings; pbs: PbsSettings }
  | { type: 'gridengine'; blocks: BlockSettings; gridengine: GridEngineSettings };

/** The keys each scheduler reads; any other scheduler's key is refused by name. */
const SCHEDULER_KEYS = {
  slurm: ['partition', 'account', 'qos', 'walltime', 'scheduler_options', 'launcher'],
  pbs: ['queue', 'account', 'walltime', 'select_options', 'scheduler_options', 'launcher'],
  gridengine: ['queue', 'account', 'project', 'parallel_environment', 'walltime', 'scheduler_options'],
} as const;
const SCHEDULER_ONLY = [...new Set(Object.values(SCHEDULER_KEYS).flat())];
const DIRECTIVE = { slurm: '#SBATCH ', pbs: '#PBS ', gridengine: '#$ ' } as const;

/** `raw` as the schema's validator left it: with its defaults filled in. */
export function parseProviderSettings(raw: ProviderConfig, problems: string[]): ProviderSettings {
  const type = raw.type!; // local when absent (the schema's default)
  const duration = (key: keyof ProviderConfig): number => {
    const value = raw[key];
    const ms = parseDuration(value as string | number);
    if (ms === undefined) problems.push(`provider.${key}: ${JSON.stringify(value)} is not a duration (e.g. 30s, 5m, 2h)`);
    // Reported once, here: NaN fails none of the comparisons below, so no second message follows.
    return ms ?? Number.NaN;
  };

  if (type === 'local') {
    for (const key of SCHEDULER_ONLY) if (raw[key] !== undefined) problems.push(`provider.${key}: only for provider type ${typesReading(key)}`);
    if (!raw.max_blocks) { // absent or 0: workers in the agent
      const blockKeys = Object.keys(raw).filter((k) => k !== 'type' && k !== 'max_blocks' && !(SCHEDULER_ONLY as readonly string[]).includes(k));
      if (blockKeys.length > 0) problems.push(`provider.${blockKeys[0]}: needs max_blocks >= 1 (without it the local provider runs workers in the agent itself)`);
      return { type: 'local', blocks: null };
    }
  }

  // Blocks are used: the schema filled in every block key. Its listen_address default differs by
  // type: a local block runs on this machine, so nothing else needs to reach the agent; scheduler
  // blocks run on compute nodes, so there the agent listens on every interface (a manager must know
  // the secret).
  const config = raw as WithBlocks;
  const blocks: BlockSettings = {
    initBlocks: config.init_blocks,
    minBlocks: config.min_blocks,
    maxBlocks: config.max_blocks,
    nodesPerBlock: config.nodes_per_block,
    maxWorkersPerNode: config.max_workers_per_node ?? os.availableParallelism(),
    maxIdleMs: duration('max_idletime'),
    strategyPeriodMs: duration('strategy_period'),
    workerInit: typeof config.worker_init === 'string' ? config.worker_init.split('\n').filter((l) => l.trim()) : config.worker_init,
    listenAddress: config.listen_address,
    listenPort: config.listen_port,
    connectAddress: config.connect_address ?? defaultConnectAddress(config.listen_address),
    managerHeartbeatMs: duration('manager_heartbeat_period'),
    managerTimeoutMs: duration('manager_timeout'),
    managerStartTimeoutMs: duration('manager_start_timeout'),
  };
  if (blocks.maxBlocks < 1) problems.push('provider.max_blocks: must be at least 1');
  if (blocks.minBlocks > blocks.maxBlocks) problems.push(`provider.min_blocks: ${blocks.minBlocks} is more than max_blocks (${blocks.maxBlocks})`);
  if (blocks.initBlocks > blocks.maxBlocks) problems.push(`provider.init_blocks: ${blocks.initBlocks} is more than max_blocks (${blocks.maxBlocks})`);
  if (blocks.strategyPeriodMs < 100) problems.push('provider.strategy_period: must be at least 100ms');
  if (blocks.managerHeartbeatMs < 100) problems.push('provider.manager_heartbeat_period: must be at least 100ms');
  if (blocks.managerTimeoutMs <= blocks.managerHeartbeatMs) problems.push('provider.manager_timeout: must be longer than manager_heartbeat_period');
  if (type === 'local') {
    if (blocks.nodesPerBlock !== 1) problems.push('provider.nodes_per_block: a local block is one process group on this machine; must be 1');
    return { type: 'local', blocks };
  }

  for (const key of SCHEDULER_ONLY) {
    if (config[key] !== undefined && !(SCHEDULER_KEYS[type] as readonly string[]).includes(key)) problems.push(`provider.${key}: only for provider type ${typesReading(key)}`);
  }
  (config as SchedulerConfig<typeof type>).scheduler_options.forEach((line, i) => {
    if (!line.startsWith(DIRECTIVE[type])) problems.push(`provider.scheduler_options.${i}: ${JSON.stringify(line)} must be an "${DIRECTIVE[type]}..." line`);
  });
  for (const key of ['queue', 'account', 'project', 'parallel_environment', 'select_options'] as const) {
    const value = config[key];
    if (typeof value === 'string' && /\s/.test(value)) problems.push(`provider.${key}: ${JSON.stringify(value)} must not contain whitespace or line breaks`);
  }
  const walltimeMs = duration('walltime');
  if (type === 'pbs') {
    if (walltimeMs < SECOND) problems.push('provider.walltime: must be at least 1s');
    const pbs = config as SchedulerConfig<'pbs'>;
    const launcher = pbs.launcher;
    if (launcher === 'srun') problems.push('provider.launcher: srun is for slurm; pbs takes pbsdsh or none');
    return {
      type: 'pbs',
      blocks,
      pbs: { queue: pbs.queue, account: pbs.account, walltimeMs, selectOptions: pbs.select_options, schedulerOptions: pbs.scheduler_options, launcher: launcher === 'none' ? 'none' : 'pbsdsh' },
    };
  }
  if (type === 'gridengine') {
    const gridengine = config as SchedulerConfig<'gridengine'>;
    if (walltimeMs < SECOND) problems.push('provider.walltime: must be at least 1s');
    if (blocks.nodesPerBlock > 1 && !config.parallel_environment) problems.push('provider.nodes_per_block: a Grid Engine block of several nodes needs a parallel_environment');
    return {
      type: 'gridengine',
      blocks,
      gridengine: {
        queue: gridengine.queue,
        parallelEnvironment: gridengine.parallel_environment,
        project: gridengine.project,
        account: gridengine.account,
        walltimeMs,
        schedulerOptions: gridengine.scheduler_options,
      },
    };
  }

  const slurmConfig = config as SchedulerConfig<'slurm'>;
  const slurm: SlurmSettings = {
    partition: slurmConfig.partition,
    account: slurmConfig.account,
    qos: slurmConfig.qos,
    walltimeMs,
    schedulerOptions: slurmConfig.scheduler_options,
    launcher: config.launcher === 'none' ? 'none' : 'srun',
  };
  if (config.launcher === 'pbsdsh') problems.push('provider.launcher: pbsdsh is for pbs; slurm takes srun or none');
  if (slurm.walltimeMs < SECOND) problems.push('provider.walltime: must be at least 1s (Slurm rounds up to whole minutes)');
  // Written into `#SBATCH --partition=VALUE` lines: whitespace would end the value or add a line.
  for (const key of ['partition', 'qos'] as const) {
    const value = config[key];
    if (typeof value === 'string' && /\s/.test(value)) problems.push(`provider.${key}: ${JSON.stringify(value)} must not contain whitespace or line breaks`);
  }
  for (const line of [...blocks.workerInit, ...slurm.schedulerOptions]) {
    if (line.includes('\n')) problems.push(`provider: ${JSON.stringify(line)} must be one line`);
  }
  return { type: 'slurm', blocks, slurm };
}

/** The provider types that read this key, for the message refusing it elsewhere. */
function typesReading(key: string): string {
  return Object.entries(SCHEDULER_KEYS).filter(([, keys]) => (keys as readonly string[]).includes(key)).map(([type]) => type).join(' or ');
}

/** A wildcard listen address cannot be dialled: managers use this host's name. */
function defaultConnectAddress(listen: string): string {
  if (listen === '0.0.0.0' || listen === '::') return os.hostname();
  return listen;
}
