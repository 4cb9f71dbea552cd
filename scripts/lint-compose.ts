/**
 * deploy/docker-compose.yml cannot be run on these machines (no container engine), so
 * `npm run lint` checks it instead, with what would break it first:
 *
 *  1. its shape: known top-level and service keys, every service has an image or a build whose
 *     folder holds a Dockerfile, `depends_on` names services (with a valid condition), named
 *     volumes are declared, bind-mounted files exist;
 *  2. the funcX settings: every FUNCX_* variable a service sets is an option of src/config.ts
 *     (a typo would be ignored silently at run time), and every replica (a service built from
 *     the Dockerfile that serves) has the same value for each setting that must match across
 *     replicas (SHARED_SETTINGS, which docs/deployment.md lists too), and the database URL's host
 *     is a service of the compose file (a misspelt host only fails when the replicas start);
 *  3. the load balancer: every `server` in the HAProxy configuration it mounts is a replica of
 *     the compose file, health checks ask /readyz or /healthz and are turned on (`check`) for every
 *     server (without it HAProxy never asks and keeps sending to a dead replica), and `haproxy -c` accepts the file
 *     (when haproxy is installed; unresolvable replica names are only warnings there).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { OPTIONS } from '../src/config.js';
import { packageRoot } from '../src/util/paths.js';

/** Settings whose values must be the same on every replica (docs/deployment.md, "Running a fleet"). */
export const SHARED_SETTINGS = [
  'FUNCX_DATABASE_URL', 'FUNCX_AUTH_MODE', 'FUNCX_PUBLIC_URL', 'FUNCX_WRITE_QUICKSTART', 'FUNCX_LEASE_TIMEOUT',
  'FUNCX_MAX_RETRIES', 'FUNCX_RETENTION', 'FUNCX_MAX_PAYLOAD_BYTES', 'FUNCX_MAX_RESULT_BYTES', 'FUNCX_MAX_BATCH_TASKS',
  'FUNCX_MAX_BODY_BYTES', 'FUNCX_RATE_LIMIT_REQUESTS', 'FUNCX_RATE_LIMIT_WINDOW', 'FUNCX_RATE_LIMIT_AUTH_FAILURES',
  'FUNCX_TRUST_PROXY', 'FUNCX_REPLICA_WAKEUP_INTERVAL',
];

const TOP_LEVEL = new Set(['name', 'services', 'volumes', 'networks', 'configs', 'secrets']);
const SERVICE_KEYS = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'depends_on', 'ports', 'expose', 'volumes',
  'restart', 'healthcheck', 'networks', 'user', 'working_dir', 'labels', 'deploy', 'stop_grace_period', 'stop_signal', 'ulimits',
]);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

type Service = Record<string, unknown> & { environment?: Record<string, unknown> | string[]; build?: string | { context: string } };

export function lintCompose(composeFile: string): string[] {
  const problems: string[] = [];
  const where = path.relative(packageRoot(), composeFile);
  const problem = (text: string) => problems.push(`${where}: ${text}`);
  const dir = path.dirname(composeFile);
  const doc = YAML.parse(readFileSync(composeFile, 'utf8'), { merge: true }) as Record<string, unknown>;

  for (const key of Object.keys(doc)) if (!TOP_LEVEL.has(key) && !key.startsWith('x-')) problem(`unknown top-level key "${key}"`);
  const services = (doc.services ?? {}) as Record<string, Service>;
  const volumes = new Set(Object.keys((doc.volumes ?? {}) as object));
  const known = new Set(Object.values(OPTIONS).map((o) => o.env));
  const replicas: [string, Record<string, string>][] = [];

  for (const [name, service] of Object.entries(services)) {
    for (const key of Object.keys(service)) if (!SERVICE_KEYS.has(key)) problem(`service ${name}: unknown key "${key}"`);
    if (!service.image && !service.build) problem(`service ${name}: neither image nor build`);
    if (service.build) {
      const context = path.resolve(dir, typeof service.build === 'string' ? service.build : service.build.context);
      if (!existsSync(path.join(context, 'Dockerfile'))) problem(`service ${name}: no Dockerfile in its build context ${path.relative(packageRoot(), context) || '.'}`);
    }
    const dependsOn = service.depends_on as string[] | Record<string, { condition?: string }> | undefined;
    const dependencies: [string, { condition?: string }][] = Array.isArray(dependsOn) ? dependsOn.map((d) => [d, {}]) : Object.entries(dependsOn ?? {});
    for (const [dependency, how] of dependencies) {
      if (!(dependency in services)) problem(`service ${name}: depends_on names no service "${dependency}"`);
      if (how.condition && !CONDITIONS.has(how.condition)) problem(`service ${name}: depends_on ${dependency}: unknown condition "${how.condition}"`);
    }
    for (const volume of (service.volumes ?? []) as string[]) {
      const [source] = volume.split(':');
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!existsSync(path.resolve(dir, source))) problem(`service ${name}: bind-mounts ${source}, which does not exist`);
      } else if (!volumes.has(source)) problem(`service ${name}: volume "${source}" is not declared under volumes`);
    }
    const environment = Array.isArray(service.environment)
      ? Object.fromEntries(service.environment.map((line) => [line.split('=')[0], line.split('=').slice(1).join('=')]))
      : Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
    for (const variable of Object.keys(environment)) {
      if (variable.startsWith('FUNCX_') && !known.has(variable)) problem(`service ${name}: ${variable} is not an option of funcx-service (src/config.ts)`);
    }
    const command = (service.command as string[] | undefined) ?? ['serve'];
    if (service.build && command[0] === 'serve') replicas.push([name, environment]);
  }

  for (const [name, env] of replicas) {
    const host = databaseHost(env.FUNCX_DATABASE_URL);
    if (host !== undefined && !(host in services)) problem(`service ${name}: FUNCX_DATABASE_URL names host "${host}", which is not a service of the compose file`);
  }

  if (replicas.length < 2) problem(`expected at least two replicas (services built from the Dockerfile that serve), found ${replicas.length}`);
  for (const setting of SHARED_SETTINGS) {
    const values = new Set(replicas.map(([, env]) => env[setting] ?? '(unset)'));
    if (values.size > 1) problem(`${setting} differs between replicas (${replicas.map(([n, env]) => `${n}: ${env[setting] ?? '(unset)'}`).join(', ')}); it must match`);
  }

  // The load balancer's configuration, if the compose file mounts one.
  const haproxy = Object.values(services).flatMap((s) => ((s.volumes ?? []) as string[]).filter((v) => v.includes('haproxy.cfg')).map((v) => path.resolve(dir, v.split(':')[0])));
  for (const cfg of haproxy.filter(existsSync)) {
    const text = readFileSync(cfg, 'utf8');
    const servers = [...text.matchAll(/^\s*server\s+\S+\s+([^:\s]+):(\d+)/gm)].map((m) => m[1]);
    if (servers.length === 0) problem(`${path.basename(cfg)}: no server lines`);
    for (const host of servers) if (!replicas.some(([n]) => n === host)) problem(`${path.basename(cfg)}: server ${host} is not a replica in the compose file`);
    if (!/option\s+httpchk\s+GET\s+\/(readyz|healthz)\b/.test(text)) problem(`${path.basename(cfg)}: no health check on /readyz or /healthz`);
    const checkedByDefault = /^\s*default-server\b.*\scheck\b/m.test(text);
    for (const line of text.match(/^\s*server\s.*$/gm) ?? []) {
      if (!checkedByDefault && !/\scheck\b/.test(line)) problem(`${path.basename(cfg)}: ${line.trim().split(/\s+/).slice(0, 2).join(' ')} has no health check (\`check\`, on it or on default-server)`);
    }
    const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
    if (!check.error && check.status !== 0) problem(`${path.basename(cfg)}: haproxy -c refused it:\n${check.stderr || check.stdout}`);
  }
  return problems;
}

/** The host of a mysql:// database URL (its password may hold compose's `${...}`), or undefined for another kind. */
function databaseHost(url: string | undefined): string | undefined {
  if (!url || !/^mysql2?:\/\//.test(url)) return undefined;
  const afterCredentials = url.slice(url.lastIndexOf('@') + 1 || url.indexOf('//') + 2);
  return afterCredentials.split(/[:/]/)[0];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = path.resolve(packageRoot(), process.argv[2] ?? 'deploy/docker-compose.yml');
  const problems = lintCompose(file);
  for (const line of problems) console.error(line);
  if (problems.length === 0) console.log(`${path.relative(packageRoot(), file)}: ok`);
  process.exit(problems.length === 0 ? 0 : 1);
}
