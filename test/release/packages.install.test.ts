/**
 * The workspace packages install without the repository (docs/install.md, docs/architecture.md
 * "Packages"): `npm pack` of shared/, sdk/ and endpoint/ (as built by `npm run build`), each
 * product installed into an empty folder from the tarballs, offline from npm's cache
 * (test/helpers/packedInstall.ts), then run from there.
 *   - the SDK (funcx-ts + @funcx-ts/shared): at most 30 packages and 6 MiB, no install script
 *     nor native build; `import { Client } from 'funcx-ts'` and `funcx --version` work;
 *   - the endpoint (funcx-endpoint + @funcx-ts/shared): nothing of the service (koa, knex,
 *     better-sqlite3, ...), no install script; `funcx-endpoint --help` and `configure` work, and a
 *     config it refuses is refused by key.
 * Then the two installed products together against a live service: the packed endpoint is
 * configured, started (detached) and serves; the README's TypeScript tutorial, compiled and run in
 * the SDK's folder, runs its tasks there; the endpoint stops.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import YAML from 'yaml';
import { installTarballsOffline, packWorkspaces } from '../helpers/packedInstall.js';
import { startLiveService } from '../helpers/service.js';
import { codeBlock } from '../helpers/docBlocks.js';
import { waitFor } from '../helpers/endpointProcess.js';

const run = promisify(execFile);
const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SDK_MAX_PACKAGES = 30;
const SDK_MAX_BYTES = 6 * 1024 * 1024;
const SERVICE_PACKAGES = ['koa', '@koa/router', 'knex', 'better-sqlite3', 'mysql2', 'amqplib', 'swagger-ui-dist', 'oidc-provider'];

interface Installed {
  /** Package folders under node_modules, nested ones included. */
  packages: { name: string; folder: string }[];
  bytes: number;
}

/** Every package folder under `nodeModules` (a folder with a package.json naming itself), and their total size. */
function survey(nodeModules: string): Installed {
  const packages: { name: string; folder: string }[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const folder = path.join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        visit(folder);
        continue;
      }
      const manifest = path.join(folder, 'package.json');
      if (!existsSync(manifest)) continue;
      packages.push({ name: (JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, folder });
      if (existsSync(path.join(folder, 'node_modules'))) visit(path.join(folder, 'node_modules'));
    }
  };
  visit(nodeModules);
  let bytes = 0;
  const measure = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) measure(file);
      else if (entry.isFile()) bytes += statSync(file).size;
    }
  };
  measure(nodeModules);
  return { packages, bytes };
}

/** Packages with an install-time script or a binding.gyp (npm would build it natively). */
function installScripts(installed: Installed): string[] {
  const offenders: string[] = [];
  for (const { name, folder } of installed.packages) {
    const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
    const hooks = ['preinstall', 'install', 'postinstall'].filter((hook) => manifest.scripts?.[hook]);
    if (manifest.gypfile || existsSync(path.join(folder, 'binding.gyp'))) hooks.push('binding.gyp');
    if (hooks.length > 0) offenders.push(`${name} (${hooks.join(', ')})`);
  }
  return offenders;
}

const names = (installed: Installed) => installed.packages.map((entry) => entry.name);

test('the SDK and the endpoint install from their tarballs into empty folders, offline, and run there: the packed endpoint starts, serves the README\'s TypeScript tutorial run with the packed SDK, and stops', async (t) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'funcx-packages-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const tarballs = await packWorkspaces(root, path.join(work, 'tarballs'), ['@funcx-ts/shared', 'funcx-ts', 'funcx-endpoint']);
  t.deepEqual(Object.keys(tarballs).sort(), ['@funcx-ts/shared', 'funcx-endpoint', 'funcx-ts']);

  // The SDK.
  const sdkDir = path.join(work, 'sdk');
  await installTarballsOffline(root, sdkDir, { '@funcx-ts/shared': tarballs['@funcx-ts/shared'], 'funcx-ts': tarballs['funcx-ts'] });
  const sdk = survey(path.join(sdkDir, 'node_modules'));
  t.log(`SDK: ${sdk.packages.length} packages, ${(sdk.bytes / 1024 / 1024).toFixed(2)} MiB`);
  t.true(names(sdk).includes('funcx-ts') && names(sdk).includes('@funcx-ts/shared'), 'both tarballs were installed');
  t.true(sdk.packages.length <= SDK_MAX_PACKAGES, `the SDK installs ${sdk.packages.length} packages: ${names(sdk).join(', ')}`);
  t.true(sdk.bytes <= SDK_MAX_BYTES, `the SDK installs ${sdk.bytes} bytes`);
  t.deepEqual(installScripts(sdk), []);
  const imported = await run(process.execPath, ['--input-type=module', '-e', "import { Client, Executor } from 'funcx-ts'; console.log(typeof Client, typeof Executor);"], { cwd: sdkDir });
  t.is(imported.stdout.trim(), 'function function');
  const funcx = await run(path.join(sdkDir, 'node_modules', '.bin', 'funcx'), ['--version'], { cwd: sdkDir });
  t.regex(funcx.stdout, /^funcx 0\.\d+\.\d+/);

  // The endpoint.
  const endpointDir = path.join(work, 'endpoint');
  await installTarballsOffline(root, endpointDir, { '@funcx-ts/shared': tarballs['@funcx-ts/shared'], 'funcx-endpoint': tarballs['funcx-endpoint'] });
  const endpoint = survey(path.join(endpointDir, 'node_modules'));
  t.log(`endpoint: ${endpoint.packages.length} packages, ${(endpoint.bytes / 1024 / 1024).toFixed(2)} MiB`);
  t.true(names(endpoint).includes('funcx-endpoint'));
  t.deepEqual(names(endpoint).filter((name) => SERVICE_PACKAGES.includes(name) || name === 'funcx-ts'), []);
  t.deepEqual(installScripts(endpoint), []);
  const bin = path.join(endpointDir, 'node_modules', '.bin', 'funcx-endpoint');
  const help = await run(bin, ['--help'], { cwd: endpointDir });
  t.regex(help.stdout, /^usage: funcx-endpoint COMMAND/);
  // configure writes config.yaml; start checks it against the installed package's own copy of the schema (the data files travelled).
  const home = path.join(work, 'home');
  const env = { ...process.env, FUNCX_HOME: home };
  await run(bin, ['configure', 'packed', '--service-url', 'http://127.0.0.1:9'], { cwd: endpointDir, env });
  const file = path.join(home, 'packed', 'config.yaml');
  const config = YAML.parse(readFileSync(file, 'utf8')) as { service_url: string };
  t.is(config.service_url, 'http://127.0.0.1:9');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^max_workers: \d+$/m, 'max_workers: 0') + 'colour: blue\n');
  const refused = await run(bin, ['start', 'packed'], { cwd: endpointDir, env, timeout: 120_000 }).then(() => undefined, (error: { code: number; stderr: string }) => error);
  t.is(refused?.code, 1);
  t.regex(refused?.stderr ?? '', /max_workers: must be >= 1/);
  t.regex(refused?.stderr ?? '', /colour: unknown key/);

  // Both products, as installed, against a live service: the packed endpoint serves the README's tutorial run from the SDK's folder.
  const live = await startLiveService(t, 'sqlite');
  const liveEnv = { ...env, FUNCX_TOKEN: live.adminToken };
  await run(bin, ['configure', 'served', '--service-url', live.url], { cwd: endpointDir, env: liveEnv });
  t.teardown(async () => {
    await run(bin, ['stop', 'served'], { cwd: endpointDir, env: liveEnv }).catch(() => undefined);
  });
  const started = await run(bin, ['start', 'served', '--detach'], { cwd: endpointDir, env: liveEnv, timeout: 120_000 });
  t.regex(`${started.stdout}${started.stderr}`, /started|running/i);
  const endpointId = (JSON.parse(readFileSync(path.join(home, 'served', 'endpoint.json'), 'utf8')) as { endpoint_id: string }).endpoint_id;
  await waitFor(async () => (await live.call('GET', `/v2/endpoints/${endpointId}/status`)).body.status === 'online', 'the packed endpoint to come online', 60_000);

  mkdirSync(path.join(sdkDir, '.funcx'));
  writeFileSync(path.join(sdkDir, '.funcx', 'quickstart.json'), JSON.stringify({ service_url: live.url, token: live.adminToken, endpoint_id: endpointId }));
  writeFileSync(path.join(sdkDir, 'tutorial.ts'), codeBlock('README.md', '## Tutorial in TypeScript', 'ts'));
  // The user's own TypeScript: the compiler and Node's types are theirs to install; here, the repository's.
  mkdirSync(path.join(sdkDir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(sdkDir, 'node_modules', '@types', 'node'), 'dir');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = await run(process.execPath, [tsc, '--module', 'nodenext', '--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--skipLibCheck', 'tutorial.ts'], { cwd: sdkDir })
    .then(() => 'ok', (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`);
  t.is(compiled, 'ok', 'the README tutorial type-checks against the installed SDK\'s declarations');
  const tutorial = await run(process.execPath, ['tutorial.js'], { cwd: sdkDir, env: { PATH: process.env.PATH, HOME: sdkDir }, timeout: 180_000 });
  t.deepEqual(tutorial.stdout.split('\n').slice(0, 5), ['Hello World!', 'Hello World!', '15', 'Exception deterministic failure', '[ 2, 4, 6 ]'], tutorial.stdout);

  const stopped = await run(bin, ['stop', 'served'], { cwd: endpointDir, env: liveEnv, timeout: 120_000 });
  t.is(stopped.stderr.includes('not running'), false, stopped.stderr);
  t.false(existsSync(path.join(home, 'served', 'endpoint.pid')), 'the packed endpoint stopped and removed its pidfile');
});
