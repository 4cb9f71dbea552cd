/**
 * The `provider` section of config.yaml, checked and given its defaults.
 * The schema already checked types; this adds the rules between keys
 * (min_blocks <= init_blocks <= max_blocks, Slurm keys only for slurm) with
 * messages that name the key.
 */
import os from 'node:os';
import { MINUTE, SECOND, parseDuration } from '../../src/util/time.js';
import type { EndpointConfig } from '../../src/generated/schemas/endpoint-config.js';

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
  | { type: 'slurm'; blocks: BlockSettings; slurm: SlurmSettings };

const SLURM_ONLY = ['partition', 'account', 'qos', 'walltime', 'scheduler_options', 'launcher'] as const;

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
    for (const key of SLURM_ONLY) if (config[key] !== undefined) problems.push(`provider.${key}: only for provider type slurm`);
    if ((config.max_blocks ?? 0) === 0) {
      const blockKeys = Object.keys(config).filter((k) => k !== 'type' && k !== 'max_blocks' && !(SLURM_ONLY as readonly string[]).includes(k));
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

  const slurm: SlurmSettings = {
    partition: config.partition ?? null,
    account: config.account ?? null,
    qos: config.qos ?? null,
    walltimeMs: duration('walltime', 1 * 60 * MINUTE),
    schedulerOptions: config.scheduler_options ?? [],
    launcher: config.launcher ?? 'srun',
  };
  if (slurm.walltimeMs < SECOND) problems.push('provider.walltime: must be at least 1s (Slurm rounds up to whole minutes)');
  // Written into `#SBATCH --partition=VALUE` lines: whitespace would end the value or add a line.
  for (const key of ['partition', 'account', 'qos'] as const) {
    const value = config[key];
    if (typeof value === 'string' && /\s/.test(value)) problems.push(`provider.${key}: ${JSON.stringify(value)} must not contain whitespace or line breaks`);
  }
  slurm.schedulerOptions.forEach((line, i) => {
    if (!line.startsWith('#SBATCH ')) problems.push(`provider.scheduler_options.${i}: ${JSON.stringify(line)} must be an "#SBATCH ..." line`);
  });
  for (const line of [...blocks.workerInit, ...slurm.schedulerOptions]) {
    if (line.includes('\n')) problems.push(`provider: ${JSON.stringify(line)} must be one line`);
  }
  return { type: 'slurm', blocks, slurm };
}

/** A wildcard listen address cannot be dialled: managers use this host's name. */
function defaultConnectAddress(listen: string): string {
  if (listen === '0.0.0.0' || listen === '::') return os.hostname();
  return listen;
}
