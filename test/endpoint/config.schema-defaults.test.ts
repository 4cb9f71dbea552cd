/**
 * Endpoint config defaults live in schemas/endpoint-config.json only: the loader relies on ajv
 * having filled them in (its list of such keys must match the schema), each provider type gets
 * every block and scheduler key filled, `configure`'s template writes the schema's values, and
 * the generated reference shows a default for every provider key.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { SCHEMA_DEFAULTED_KEYS, configTemplate, loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { packageRoot } from '../../src/util/paths.js';
import { renderConfigurationDoc } from '../../scripts/docs/configurationDoc.js';

const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'endpoint-config.json'), 'utf8')) as {
  properties: Record<string, { default?: unknown; properties?: Record<string, unknown> }>;
};

/** Only the keys the file sets: nothing of the template, so every default must come from the schema. */
function loadBare(t: ExecutionContext, config: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-config-defaults-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = endpointPaths('bare', dir);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({ service_url: 'http://127.0.0.1:1', ...config }));
  return loadEndpointConfig(paths);
}

/** Every field set: none undefined, no NaN (a duration parsed from a missing default). */
function assertFilled(t: ExecutionContext, value: unknown, where: string): void {
  if (value === undefined || Number.isNaN(value)) t.fail(`${where} has no value`);
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) assertFilled(t, inner, `${where}.${key}`);
  }
}

test('the loader\'s list of schema-defaulted keys is exactly the schema\'s keys with a default', (t) => {
  const withDefault = Object.entries(schema.properties).filter(([, p]) => p.default !== undefined).map(([key]) => key);
  t.deepEqual([...SCHEMA_DEFAULTED_KEYS].sort(), withDefault.sort());
});

test('a config of service_url alone loads with every setting filled in', (t) => {
  const settings = loadBare(t, {});
  for (const [key, value] of Object.entries(settings)) {
    if (['caFile', 'auditLogPath', 'proxy', 'mpi', 'container', 'metricsPort'].includes(key)) t.is(value, null, key);
    else assertFilled(t, value, key);
  }
  t.deepEqual(settings.provider, { type: 'local', blocks: null });
  t.like(settings, { heartbeatMs: 10_000, pollWaitMs: 50_000, taskWalltimeMs: 24 * 3_600_000, graceMs: 30_000, workerIdleMs: 300_000, logLevel: 'info' });
  t.deepEqual(loadBare(t, { mpi: {}, container: { type: 'podman', image: 'localhost/x:1' } }).mpi, { launcher: 'mpiexec', flavor: 'openmpi', options: [] });
});

test('each provider type, given only its type, gets every block and scheduler setting from the schema', (t) => {
  const cases: Record<string, unknown>[] = [{ type: 'local', max_blocks: 2 }, { max_blocks: 1 }, { type: 'slurm' }, { type: 'pbs' }, { type: 'gridengine' }];
  for (const provider of cases) {
    const loaded = loadBare(t, { provider }).provider;
    assertFilled(t, loaded, `provider ${JSON.stringify(provider)}`);
    t.like(loaded.blocks, { initBlocks: 0, minBlocks: 0, nodesPerBlock: 1, maxIdleMs: 120_000, strategyPeriodMs: 5_000, workerInit: [], listenPort: 0, managerHeartbeatMs: 10_000, managerTimeoutMs: 60_000, managerStartTimeoutMs: 300_000 });
    t.is(loaded.blocks!.listenAddress, loaded.type === 'local' ? '127.0.0.1' : '0.0.0.0', JSON.stringify(provider));
    t.is(loaded.blocks!.maxBlocks, (provider.max_blocks as number | undefined) ?? 1, JSON.stringify(provider));
  }
  const slurm = loadBare(t, { provider: { type: 'slurm' } }).provider;
  t.like(slurm, { slurm: { partition: null, account: null, qos: null, walltimeMs: 3_600_000, schedulerOptions: [], launcher: 'srun' } });
  t.like(loadBare(t, { provider: { type: 'pbs' } }).provider, { pbs: { queue: null, selectOptions: null, launcher: 'pbsdsh', walltimeMs: 3_600_000 } });
  t.like(loadBare(t, { provider: { type: 'gridengine' } }).provider, { gridengine: { parallelEnvironment: null, project: null, walltimeMs: 3_600_000 } });
});

test('configure\'s template writes the schema\'s default for each key it sets (other than the chosen service and name)', (t) => {
  const written = YAML.parse(configTemplate({ name: 'ep', serviceUrl: 'http://127.0.0.1:1' })) as Record<string, unknown>;
  const compared = Object.keys(written).filter((key) => schema.properties[key]?.default !== undefined);
  t.true(compared.length >= 20, `compared ${compared.length} keys`);
  for (const key of compared) t.deepEqual(written[key], schema.properties[key].default, key);
});

test('the configuration reference shows a default for every provider key', (t) => {
  const rows = renderConfigurationDoc().split('\n').filter((line) => line.startsWith('| `provider.'));
  t.is(rows.length, Object.keys(schema.properties.provider.properties!).length);
  for (const row of rows) t.notRegex(row.split(' | ')[2], /^—$/, row);
});
