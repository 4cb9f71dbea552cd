/**
 * An endpoint's config.yaml: written with documented defaults by `configure`,
 * checked against schemas/endpoint-config.json at start. A bad file is refused
 * with every problem named by its key.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import YAML from 'yaml';
import { ConfigInvalid, ConfigValidator } from './configValidator.js';
import { parseDuration } from '@funcx-ts/shared/time.js';
import type { EndpointPaths } from './paths.js';
import { parseProviderSettings, type ProviderSettings } from './providers/settings.js';
import type { Runtime, Serializer } from './execution.js';
import type { MpiSettings } from './mpi/launcher.js';
import { parseMpiSettings } from './mpi/settings.js';
import { parseContainerSettings, type ContainerSettings } from './containers/settings.js';
import { workerIdleProblem } from './workers/idleTimeoutSetting.js';
import { auditLogPathProblem } from './auditLog.js';
import type { EndpointConfig } from '@funcx-ts/shared/wire/endpoint-config.js';

export class EndpointConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}:\n  - ${problems.join('\n  - ')}`);
  }
}

export interface EndpointSettings {
  name: string;
  serviceUrl: string;
  displayName: string;
  public: boolean;
  allowedGroups: string[];
  allowedFunctions: string[];
  maxWorkers: number;
  /** Tasks leased beyond free workers; auto: sized from observed task durations and round trips (prefetch.ts). */
  prefetch: number | 'auto';
  runtimes: Runtime[];
  python: string;
  serializers: Serializer[];
  heartbeatMs: number;
  pollWaitMs: number;
  taskWalltimeMs: number;
  shellOutputCap: number;
  /** Shell tasks' folders are kept after they end (keep_shell_sandboxes). */
  keepShellSandboxes: boolean;
  /** Larger results fail locally with TaskResultTooLarge instead of being sent. */
  maxResultBytes: number;
  graceMs: number;
  idleShutdownMs: number;
  /** Worker processes idle this long are ended (0: never). */
  workerIdleMs: number;
  caFile: string | null;
  /** Task events are recorded here (auditLog.ts); null: no audit log. */
  auditLogPath: string | null;
  /** The proxy to reach the service through (overrides HTTPS_PROXY / HTTP_PROXY; NO_PROXY still applies). */
  proxy: string | null;
  provider: ProviderSettings;
  /** How MPI tasks are launched; null: tasks with a resource_specification are refused. */
  mpi: MpiSettings | null;
  /** Workers run in containers of this engine (null: on the host). */
  container: ContainerSettings | null;
  logLevel: string;
  /** A detached agent's endpoint.log: rotated past this size, keeping this many older files (logRotation.ts). */
  logMaxBytes: number;
  logBackups: number;
  /** Prometheus metrics port (null: none) and its address. */
  metricsPort: number | null;
  metricsHost: string;
}

/**
 * The keys schemas/endpoint-config.json gives a default: ajv has filled each in before the loader
 * reads the config, so the loader has no fallback of its own for them
 * (test/endpoint/config.schema-defaults.test.ts keeps this list equal to the schema's).
 */
export const SCHEMA_DEFAULTED_KEYS = [
  'public', 'allowed_groups', 'allowed_functions', 'metrics_host', 'prefetch', 'runtimes', 'python', 'serializers',
  'heartbeat_period', 'poll_wait', 'task_walltime', 'max_result_bytes', 'shell_output_cap', 'keep_shell_sandboxes',
  'grace_period', 'worker_idle_timeout', 'idle_shutdown_after', 'audit_log_path', 'ca_file', 'proxy', 'provider',
  'log_level', 'log_max_bytes', 'log_backups',
] as const;

/** A config as the validator hands it back. */
type LoadedConfig = EndpointConfig & Required<Pick<EndpointConfig, (typeof SCHEMA_DEFAULTED_KEYS)[number]>>;

/** The service's default limit on a stored result (its max_result_bytes); the schema's max_result_bytes default. */
export const DEFAULT_MAX_RESULT_BYTES = 10 * 1024 * 1024;

/**
 * How long a poll for work waits (the schema's poll_wait default, named for the benches and the template). Long, because an idle endpoint costs the service one poll per
 * wait (work arrives at once through wake-ups, whatever the wait); under 60 s, the idle timeout
 * of common proxies (nginx's proxy_read_timeout, cloud load balancers), so none cuts a poll.
 */
export const DEFAULT_POLL_WAIT = '50s';

export function defaultMaxWorkers(): number {
  return 2 * os.availableParallelism();
}

export function loadEndpointConfig(paths: EndpointPaths, validator = new ConfigValidator()): EndpointSettings {
  if (!existsSync(paths.config)) {
    throw new EndpointConfigError(paths.config, [`no such file; run \`funcx-endpoint configure ${paths.name}\` first`]);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(paths.config, 'utf8')) ?? {};
  } catch (error) {
    throw new EndpointConfigError(paths.config, [`not valid YAML: ${(error as Error).message}`]);
  }
  let config: LoadedConfig;
  try {
    config = validator.check<LoadedConfig>('endpoint-config.json', raw);
  } catch (error) {
    if (!(error instanceof ConfigInvalid)) throw error;
    throw new EndpointConfigError(paths.config, error.problems);
  }
  const problems: string[] = [];
  const duration = (key: keyof EndpointConfig, value: unknown): number => {
    const ms = parseDuration(value as string | number);
    if (ms === undefined) problems.push(`${key}: ${JSON.stringify(value)} is not a duration (e.g. 500ms, 30s, 5m, 2h; a bare number is seconds)`);
    return ms ?? 0;
  };
  const settings: EndpointSettings = {
    name: paths.name,
    serviceUrl: config.service_url.replace(/\/+$/, ''),
    // Computed defaults (no schema default can say them): the endpoint's name, two workers per core.
    displayName: config.display_name ?? paths.name,
    public: config.public,
    allowedGroups: config.allowed_groups,
    allowedFunctions: config.allowed_functions.map((id) => id.toLowerCase()),
    maxWorkers: config.max_workers ?? defaultMaxWorkers(),
    prefetch: config.prefetch,
    runtimes: config.runtimes as Runtime[],
    python: config.python,
    serializers: config.serializers as Serializer[],
    heartbeatMs: duration('heartbeat_period', config.heartbeat_period),
    pollWaitMs: duration('poll_wait', config.poll_wait),
    taskWalltimeMs: duration('task_walltime', config.task_walltime),
    shellOutputCap: config.shell_output_cap,
    keepShellSandboxes: config.keep_shell_sandboxes,
    maxResultBytes: config.max_result_bytes,
    graceMs: duration('grace_period', config.grace_period),
    idleShutdownMs: duration('idle_shutdown_after', config.idle_shutdown_after),
    workerIdleMs: duration('worker_idle_timeout', config.worker_idle_timeout),
    caFile: config.ca_file,
    auditLogPath: config.audit_log_path,
    proxy: config.proxy,
    provider: parseProviderSettings(config.provider, problems),
    mpi: parseMpiSettings(config.mpi),
    container: parseContainerSettings(config.container),
    logLevel: config.log_level,
    logMaxBytes: config.log_max_bytes,
    logBackups: config.log_backups,
    // Absent: no metrics server.
    metricsPort: config.metrics_port ?? null,
    metricsHost: config.metrics_host,
  };
  if (settings.heartbeatMs < 100) problems.push('heartbeat_period: must be at least 100ms');
  if (settings.pollWaitMs > 60_000) problems.push('poll_wait: must be at most 60s (the service caps long-polls there)');
  if (settings.taskWalltimeMs <= 0) problems.push('task_walltime: must be more than 0');
  if (settings.caFile && !existsSync(settings.caFile)) problems.push(`ca_file: ${settings.caFile} does not exist`);
  // The features' own checks, beside each feature.
  for (const problem of [workerIdleProblem(settings.workerIdleMs), auditLogPathProblem(settings.auditLogPath)]) if (problem) problems.push(problem);
  if (problems.length > 0) throw new EndpointConfigError(paths.config, problems);
  return settings;
}

/** The file `configure` writes: every option with its default and what it does. */
export function configTemplate(options: { name: string; serviceUrl: string; maxWorkers?: number }): string {
  return `# funcX endpoint "${options.name}". Edit, then: funcx-endpoint start ${options.name}
# Durations take 500ms, 30s, 5m, 2h (a bare number is seconds).

# The funcX service this endpoint serves.
service_url: ${options.serviceUrl}

# Shown in endpoint lists.
display_name: ${options.name}

# Listed for others on the service. Running tasks here still needs ownership or allowed_groups.
public: false
allowed_groups: []

# If not empty, only these function ids run here (checked by the service and again here).
allowed_functions: []

# Tasks run at once (default: two per core on this machine), and tasks leased
# beyond that to hide the round trip to the service. auto: as many as the
# workers finish during two round trips (from observed task durations), up to
# 16 per worker; 0 for tasks much longer than a round trip, and tasks leased
# ahead that wait behind long ones are handed back for other endpoints. Or a
# fixed number (0: lease only for free workers).
max_workers: ${options.maxWorkers ?? defaultMaxWorkers()}
prefetch: auto

# Runtimes offered, the Python interpreter workers run, and the payload
# serializers accepted (pickle lets Python objects round-trip; json is what the
# TypeScript SDK sends; globus-compute is what the upstream Globus Compute and
# funcX SDKs send, dill-based: see docs/upstream-sdks.md).
runtimes: [python, javascript, shell]
python: python3
serializers: [json, pickle, globus-compute]

# Heartbeats report status and renew leases; a long-poll for work waits up to poll_wait.
# Each pause varies by up to 10%, and is at most a third of the service's lease
# (the agent warns once and heartbeats faster if heartbeat_period is longer).
heartbeat_period: 10s
poll_wait: ${DEFAULT_POLL_WAIT}

# Longest a task may run (shell tasks then end with return code 124), and
# bytes kept of a shell task's stdout and stderr. Each shell task runs in a
# folder of its own (GC_TASK_SANDBOX_DIR), removed when it ends unless kept.
task_walltime: 24h
shell_output_cap: 65536
keep_shell_sandboxes: false

# Largest result (or serialized exception) in bytes this endpoint reports; a
# larger one fails the task with TaskResultTooLarge before it is sent. The
# service has its own limit (10 MiB by default); keep this at or below it.
max_result_bytes: ${DEFAULT_MAX_RESULT_BYTES}

# On stop: how long running tasks may finish before they are handed back.
grace_period: 30s

# Worker processes start with their runtime's first task and stay warm; one
# idle this long is ended (0: never), and at most max_workers live at once
# across runtimes (a runtime needing one ends another's idle worker).
worker_idle_timeout: 5m

# Stop after this long without a task (0: never).
idle_shutdown_after: 0

# A PEM file of certificate authorities to trust for an https service_url
# (replaces the system's; else SSL_CERT_FILE, and NODE_EXTRA_CA_CERTS adds one).
ca_file: null

# The site's proxy to reach the service through, e.g. http://proxy.example.org:3128
# (null: HTTPS_PROXY / HTTP_PROXY from the environment; NO_PROXY applies to both).
proxy: null

# Where workers run. local: worker processes inside this agent. With blocks
# (local with max_blocks >= 1, or slurm) the agent submits blocks that each run
# a worker manager, scales them between min_blocks and max_blocks, and hands
# tasks to the managers. See docs/providers.md; a Slurm example:
#   provider:
#     type: slurm
#     partition: debug
#     account: null
#     qos: null
#     walltime: 1h
#     nodes_per_block: 1
#     max_workers_per_node: 4
#     init_blocks: 0
#     min_blocks: 0
#     max_blocks: 4
#     max_idletime: 2m
#     worker_init: ["module load python"]
#     scheduler_options: ["#SBATCH --mem=4G"]
#     listen_address: 0.0.0.0
#     listen_port: 0
provider:
  type: local

# MPI tasks (mpi functions, tasks with a resource_specification; add mpi to
# runtimes for mpi functions): each gets whole nodes of one block and
# $PARSL_MPI_PREFIX, the launcher built for them. See docs/hpc.md.
#   mpi:
#     launcher: mpiexec     # mpiexec | mpirun | srun (inside Slurm blocks)
#     flavor: openmpi       # openmpi | mpich: the syntax mpiexec/mpirun take
#     options: []           # every launch gets these, e.g. [--mpi=pmix]
mpi: null

# Run the workers inside containers (a function registered with its own
# container_image runs in that image; mpi tasks stay on the host). The image
# needs /bin/sh, and python3 / node for those runtimes. See docs/hpc.md.
#   container:
#     type: podman          # podman | docker | apptainer
#     image: localhost/science:1
#     options: []           # added to every run/exec, e.g. [--runtime, runc]
container: null

log_level: info

# A detached endpoint (start --detach) writes endpoint.log; past log_max_bytes
# it is rotated to endpoint.log.1 (older ones shift up), keeping log_backups files.
log_max_bytes: 10485760
log_backups: 5
`;
}

export function writeConfigTemplate(paths: EndpointPaths, serviceUrl: string, maxWorkers?: number): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.config, configTemplate({ name: paths.name, serviceUrl, maxWorkers }), { mode: 0o600 });
}
