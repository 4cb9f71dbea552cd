/**
 * The endpoint options that make it fast by default: the template writes
 * prefetch: auto and worker_idle_timeout: 5m, the loader takes either form of
 * each, and a bad value is refused by its key.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { EndpointConfigError, configTemplate, loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';

function load(t: ExecutionContext, overrides: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = endpointPaths('speed', dir);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({ ...YAML.parse(configTemplate({ name: 'speed', serviceUrl: 'http://127.0.0.1:1' })), ...overrides }));
  return () => loadEndpointConfig(paths);
}

test('the template is fast by default: prefetch auto, idle workers ended after 5 minutes', (t) => {
  const settings = load(t, {})();
  t.is(settings.prefetch, 'auto');
  t.is(settings.workerIdleMs, 5 * 60_000);
});

test('prefetch takes a number, worker_idle_timeout a duration or 0', (t) => {
  const settings = load(t, { prefetch: 8, worker_idle_timeout: '90s' })();
  t.is(settings.prefetch, 8);
  t.is(settings.workerIdleMs, 90_000);
  t.is(load(t, { worker_idle_timeout: 0 })().workerIdleMs, 0);
});

test('bad values are refused by key', (t) => {
  const problems = (overrides: Record<string, unknown>) => (t.throws(load(t, overrides), { instanceOf: EndpointConfigError }) as EndpointConfigError).problems.join('\n');
  t.regex(problems({ prefetch: 'lots' }), /prefetch/);
  t.regex(problems({ prefetch: -1 }), /prefetch/);
  t.regex(problems({ worker_idle_timeout: '10ms' }), /worker_idle_timeout: must be 0 \(never\) or at least 1s/);
  t.regex(problems({ worker_idle_timeout: 'soon' }), /worker_idle_timeout: "soon" is not a duration/);
});
