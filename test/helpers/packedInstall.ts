/**
 * Installing the workspace packages (shared/, sdk/, endpoint/) as a user would, from the
 * tarballs `npm pack` makes, into an empty folder outside the repository, offline.
 *
 * npm's cache here holds the dependencies' tarballs (by integrity, from `npm ci`) but not the
 * registry's metadata, which a lockfile-less `npm install` needs to choose versions. So the
 * folder gets a package-lock.json: the tarballs' own entries plus every production dependency
 * they reach, at the versions and integrity the repository's lockfile pins (the packages are
 * hoisted the same way there). `npm ci --offline --omit=dev` then installs exactly that, and
 * checks every integrity.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  link?: boolean;
  bin?: Record<string, string>;
  [key: string]: unknown;
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
}

/** The workspace folders by package name. */
export const WORKSPACES = { '@funcx-ts/shared': 'shared', 'funcx-ts': 'sdk', 'funcx-endpoint': 'endpoint' } as const;
export type WorkspacePackage = keyof typeof WORKSPACES;

/** `npm pack`s the packages (already built: `npm run build`) into `dir`; returns each tarball's path by name. */
export async function packWorkspaces(root: string, dir: string, names: WorkspacePackage[]): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, ...names.flatMap((name) => ['-w', name])];
  const { stdout } = await run('npm', args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  return Object.fromEntries(packed.map((entry) => [entry.name, path.join(dir, entry.filename)]));
}

/** The lock path a dependency `name` of the package at `from` resolves to (Node's lookup, upwards). */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const at = base.lastIndexOf('node_modules/');
    base = at <= 0 ? '' : base.slice(0, at - 1);
  }
}

/**
 * Installs the tarballs into `dir` (created empty) with `npm ci --offline --omit=dev`.
 * `tarballs`: package name -> tarball file; `root`: the repository (its package-lock.json pins the rest).
 */
export async function installTarballsOffline(root: string, dir: string, tarballs: Record<string, string>): Promise<void> {
  const rootLock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const lockPackages: Record<string, LockEntry> = {};
  const rootDependencies: Record<string, string> = {};
  const queue: { from: string; dependencies: Record<string, string> }[] = [];
  for (const [name, tarball] of Object.entries(tarballs)) {
    const folder = WORKSPACES[name as WorkspacePackage];
    const manifest = JSON.parse(readFileSync(path.join(root, folder, 'package.json'), 'utf8')) as Manifest;
    const spec = `file:${path.relative(dir, tarball)}`;
    rootDependencies[name] = spec;
    lockPackages[`node_modules/${name}`] = {
      version: manifest.version,
      resolved: spec,
      license: 'Apache-2.0',
      ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
      ...(manifest.bin ? { bin: manifest.bin } : {}),
    };
    queue.push({ from: `node_modules/${name}`, dependencies: manifest.dependencies ?? {} });
  }
  while (queue.length > 0) {
    const { from, dependencies } = queue.pop()!;
    for (const name of Object.keys(dependencies)) {
      if (`node_modules/${name}` in lockPackages && tarballs[name]) continue; // one of the tarballs
      const at = resolveIn(rootLock.packages, from.startsWith('node_modules/funcx') || from.startsWith('node_modules/@funcx-ts') ? '' : from, name);
      if (!at) throw new Error(`${from} depends on ${name}, which the repository's package-lock.json does not hold`);
      if (lockPackages[at]) continue;
      const entry: LockEntry = { ...rootLock.packages[at] };
      if (entry.link) throw new Error(`${name} is a workspace link in the repository's lock: pack it too`);
      for (const flag of ['dev', 'devOptional', 'peer'] as const) delete entry[flag];
      lockPackages[at] = entry;
      queue.push({ from: at, dependencies: { ...entry.dependencies, ...entry.optionalDependencies } });
    }
  }
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'packed-install', version: '0.0.0', private: true, type: 'module', dependencies: rootDependencies };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const lock = { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: { '': { name: manifest.name, version: manifest.version, dependencies: rootDependencies }, ...lockPackages } };
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
  await run('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
}
