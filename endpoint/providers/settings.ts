/**
 * The `provider` section of config.yaml, checked and given its defaults.
 * The schema already checked types; this adds the rules between keys
 * (min_blocks <= init_blocks <= max_blocks, Slurm keys only for slurm) with
 * messages that name the key.
 */
import os from 'node:os';
import { MINUTE, SECOND, parseDuration } from '@funcx-ts/shared/time.js';
import type { EndpointConfig } from '@funcx-ts/shared/wire/endpoint-config.js';
import type { PbsSettings } from './pbs.js';
import type { GridEngineSettings } from './gridengine.js';

type ProviderConfig = NonNullable<EndpointConfig['provider']>;

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

export function parseProviderSettings(raw: ProviderConfig | undefined, problems: string[]): ProviderSettings {
  const config: ProviderConfig = raw ?? { type: 'local' };
  const type = config.type ?? 'local';
  const duration = (key: keyof ProviderConfig, fallback: number): number => {
    const value = config[key];
    if (value === undefined) return fallback;
    const ms = parseDuration(value as string | number);
    if (ms === undefined) problems.push(`provider.${key}: ${JSON.stringify(value)} is not a duration (e.g. 30s, 5m, 2h)`);
    return ms ?? fallback;
  };

  if (type === 'local') {
    for (const key of SCHEDULER_ONLY) if (config[key] !== undefined) problems.push(`provider.${key}: only for provider type ${typesReading(key)}`);
    if ((config.max_blocks ?? 0) === 0) {
      const blockKeys = Object.keys(config).filter((k) => k !== 'type' && k !== 'max_blocks' && !(SCHEDULER_ONLY as readonly string[]).includes(k));
      if (blockKeys.length > 0) problems.push(`provider.${blockKeys[0]}: needs max_blocks >= 1 (without it the local provider runs workers in the agent itself)`);
      return { type: 'local', blocks: null };
    }
  }

  // A local block runs on this machine: nothing else needs to reach the agent. Slurm blocks run on
  // compute nodes, so there the agent listens on every interface (a manager must know the secret).
  const listenAddress = config.listen_address ?? (type === 'local' ? '127.0.0.1' : '0.0.0.0');
  const blocks: BlockSettings = {
    initBlocks: config.init_blocks ?? 0,
    minBlocks: config.min_blocks ?? 0,
    maxBlocks: config.max_blocks ?? 1,
    nodesPerBlock: config.nodes_per_block ?? 1,
    maxWorkersPerNode: config.max_workers_per_node ?? os.availableParallelism(),
    maxIdleMs: duration('max_idletime', 2 * MINUTE),
    strategyPeriodMs: duration('strategy_period', 5 * SECOND),
    workerInit: typeof config.worker_init === 'string' ? config.worker_init.split('\n').filter((l) => l.trim()) : (config.worker_init ?? []),
    listenAddress,
    listenPort: config.listen_port ?? 0,
    connectAddress: config.connect_address ?? defaultConnectAddress(listenAddress),
    managerHeartbeatMs: duration('manager_heartbeat_period', 10 * SECOND),
    managerTimeoutMs: duration('manager_timeout', 60 * SECOND),
    managerStartTimeoutMs: duration('manager_start_timeout', 5 * MINUTE),
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
  (config.scheduler_options ?? []).forEach((line, i) => {
    if (!line.startsWith(DIRECTIVE[type])) problems.push(`provider.scheduler_options.${i}: ${JSON.stringify(line)} must be an "${DIRECTIVE[type]}..." line`);
  });
  for (const key of ['queue', 'account', 'project', 'parallel_environment', 'select_options'] as const) {
    const value = config[key];
    if (typeof value === 'string' && /\s/.test(value)) problems.push(`provider.${key}: ${JSON.stringify(value)} must not contain whitespace or line breaks`);
  }
  const walltimeMs = duration('walltime', 1 * 60 * MINUTE);
  if (type === 'pbs') {
    if (walltimeMs < SECOND) problems.push('provider.walltime: must be at least 1s');
    const launcher = config.launcher ?? 'pbsdsh';
    if (launcher === 'srun') problems.push('provider.launcher: srun is for slurm; pbs takes pbsdsh or none');
    return {
      type: 'pbs',
      blocks,
      pbs: { queue: config.queue ?? null, account: config.account ?? null, walltimeMs, selectOptions: config.select_options ?? null, schedulerOptions: config.scheduler_options ?? [], launcher: launcher === 'none' ? 'none' : 'pbsdsh' },
    };
  }
  if (type === 'gridengine') {
    if (walltimeMs < SECOND) problems.push('provider.walltime: must be at least 1s');
    if (blocks.nodesPerBlock > 1 && !config.parallel_environment) problems.push('provider.nodes_per_block: a Grid Engine block of several nodes needs a parallel_environment');
    return {
      type: 'gridengine',
      blocks,
      gridengine: {
        queue: config.queue ?? null,
        parallelEnvironment: config.parallel_environment ?? null,
        project: config.project ?? null,
        account: config.account ?? null,
        walltimeMs,
        schedulerOptions: config.scheduler_options ?? [],
      },
    };
  }

  const slurm: SlurmSettings = {
    partition: config.partition ?? null,
    account: config.account ?? null,
    qos: config.qos ?? null,
    walltimeMs,
    schedulerOptions: config.scheduler_options ?? [],
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
