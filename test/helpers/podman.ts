/**
 * Podman for the container suites: whether it can run here, the options it
 * needs on these machines, and a test image built without a registry.
 *
 * The image is assembled from this machine's own files: a Python (Debian's
 * /usr/bin/python3 when present) with its standard library, /bin/sh and a few
 * coreutils, the shared libraries `ldd` names for them, and a marker file
 * /etc/funcx-test-image that exists only in the image (~56 MB). Assembling and
 * `podman import`ing it took ~4 s here. `debootstrap --variant=minbase` was not
 * tried: it needs a Debian mirror and fetches and unpacks a whole base system.
 * Images are tagged by a hash of what went in and kept between runs (podman's
 * own storage), so a second run builds nothing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { findBinary } from './mariadb.js';

const run = promisify(execFile);

/**
 * What every container needs on these machines: the default OCI runtime crun
 * fails here (cgroups in hybrid mode), Debian's runc works; the ulimits keep
 * runc from asking for more than the host grants. Workers need no network (they
 * speak over stdin/stdout), so none is set up (no CNI, no iptables). Passed as
 * the endpoint config's container.options, as an operator would.
 */
export const PODMAN_OPTIONS = ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--network', 'none'];

/** Bump when the image's recipe changes (it is part of the tag). */
const RECIPE = 'funcx-test-image/1';
const MARKER = '/etc/funcx-test-image';
const TOOLS = ['/bin/sh', '/usr/bin/cat', '/usr/bin/ls', '/usr/bin/sleep', '/usr/bin/echo', '/usr/bin/hostname'];

/** Why the container suites cannot run here (undefined: they can). With FUNCX_TEST_REQUIRE_PODMAN=1: never (FUNCX_TEST_REQUIRE_ALL fails through realPart.ts). */
export function podmanMissing(): string | undefined {
  if (process.env.FUNCX_TEST_REQUIRE_PODMAN === '1') return undefined;
  if (!findBinary('podman')) return 'podman not installed (apt-get install -y podman runc)';
  if (!findBinary('runc')) return 'runc not installed (apt-get install -y runc)';
  if (process.getuid?.() !== 0) return 'not root (the suites use root podman\'s storage)';
  const probe = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) return `podman info failed: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
  return undefined;
}

function debianPython(): string {
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const found = findBinary('python3');
  if (!found) throw new Error('no python3 to put into the test image');
  return found;
}

/** Absolute paths of the shared libraries (and the loader) `ldd` lists for these files. */
async function libraries(files: string[]): Promise<string[]> {
  const found = new Set<string>();
  await Promise.all(files.map(async (file) => {
    const out = await run('ldd', [file]).then((r) => r.stdout, () => '');
    for (const match of out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) found.add(match[1]);
  }));
  return [...found];
}

/** Copies `file` to its real path under `root`, plus a symlink where `file` itself resolves to a different name. */
function copyInto(root: string, file: string): void {
  const real = realpathSync(file);
  const target = path.join(root, real);
  if (!existsSync(target)) {
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(real, target, { dereference: true });
  }
  // /lib64/ld-linux-x86-64.so.2 or /usr/bin/python3 are links on the host: keep the name working.
  const alias = path.join(realpathSync(path.dirname(file)), path.basename(file));
  if (alias !== real && !existsSync(path.join(root, alias))) {
    mkdirSync(path.join(root, path.dirname(alias)), { recursive: true });
    symlinkSync(real, path.join(root, alias));
  }
}

interface Recipe {
  python: string;
  stdlib: string;
  files: string[];
  tag: string;
}

async function recipe(marker: string): Promise<Recipe> {
  const python = debianPython();
  const probe = await run(python, ['-c', 'import sysconfig; print(sysconfig.get_path("stdlib"))']);
  const stdlib = probe.stdout.trim();
  const dynload = path.join(stdlib, 'lib-dynload');
  const modules = existsSync(dynload) ? readdirSync(dynload).filter((f) => f.endsWith('.so')).map((f) => path.join(dynload, f)) : [];
  const tools = TOOLS.filter((f) => existsSync(f));
  const files = [python, ...tools, ...(await libraries([realpathSync(python), ...tools, ...modules]))].sort();
  const hash = createHash('sha256').update(RECIPE).update(marker).update(stdlib);
  for (const file of files) {
    const stat = statSync(file);
    hash.update(`${file}:${stat.size}:${stat.mtimeMs}\n`);
  }
  return { python, stdlib, files, tag: `localhost/funcx-test-image:${hash.digest('hex').slice(0, 16)}` };
}

/**
 * The image (its tag) whose /etc/funcx-test-image holds `marker`, built unless
 * podman already has it. Its python3 is at /usr/bin/python3.
 */
export function testImage(marker: string): Promise<string> {
  // Tests of one file ask at once: build each image once per process (another file's build of the same tag is harmless).
  let building = builds.get(marker);
  if (!building) {
    building = buildImage(marker);
    builds.set(marker, building);
  }
  return building;
}

const builds = new Map<string, Promise<string>>();

async function buildImage(marker: string): Promise<string> {
  const { python, stdlib, files, tag } = await recipe(marker);
  const exists = spawnSync('podman', ['image', 'exists', tag]);
  if (exists.status === 0) return tag;
  const root = mkdtempSync(path.join(os.tmpdir(), 'funcx-image-'));
  try {
    // Merged /usr: the host's top-level links (/lib -> usr/lib) come first so copies land right.
    for (const dir of ['bin', 'sbin', 'lib', 'lib64']) {
      const host = `/${dir}`;
      if (existsSync(host) && lstatSync(host).isSymbolicLink()) symlinkSync(readlinkSync(host), path.join(root, dir));
    }
    for (const file of files) copyInto(root, file);
    if (python !== '/usr/bin/python3') {
      mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
      if (!existsSync(path.join(root, 'usr/bin/python3'))) symlinkSync(realpathSync(python), path.join(root, 'usr/bin/python3'));
    }
    // The standard library without its tests, GUI and caches (a third of its size).
    const skip = new Set(['test', 'idlelib', 'tkinter', 'turtledemo', 'ensurepip', 'lib2to3', '__pycache__', 'site-packages', 'dist-packages']);
    cpSync(stdlib, path.join(root, stdlib), { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
    for (const dir of ['etc', 'tmp', 'proc', 'dev', 'sys', 'root']) mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, MARKER), marker + '\n');
    const tarball = path.join(root, '..', `${path.basename(root)}.tar`);
    try {
      await run('tar', ['-C', root, '-cf', tarball, '.']);
      await run('podman', ['import', '--quiet', tarball, tag], { timeout: 300_000 });
    } finally {
      rmSync(tarball, { force: true });
    }
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Containers carrying this label value (the endpoint's task folder), running or not. */
export async function containersLabelled(label: string, value: string): Promise<string[]> {
  const { stdout } = await run('podman', ['ps', '-a', '--filter', `label=${label}=${value}`, '--format', '{{.Names}}']);
  return stdout.split('\n').filter(Boolean);
}

/** Removes, at teardown, every container labelled so (whatever the test left, even when it failed). */
export function removeContainersAtTeardown(t: ExecutionContext, label: string, value: () => string | undefined): void {
  t.teardown(async () => {
    const v = value();
    if (v === undefined) return;
    const names = await containersLabelled(label, v).catch(() => []);
    if (names.length > 0) await run('podman', ['rm', '-f', '-t', '0', ...names]).catch(() => {});
  });
}
